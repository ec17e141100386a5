import Foundation
public import NIOSSL
public import PulpAuth

/// The server's TLS (pulp2-auth.md §5.4): its certificate chain and key, TLS 1.2 or later, and, with a client CA,
/// optional client certificates that must chain to that CA alone (never the system's trust store).
public struct ServerTLS: Sendable {
    public let configuration: TLSConfiguration
    /// Client certificates of the client CA are asked for.
    public let clientCertificates: Bool
    /// Signs login certificates, when the client CA's key was given.
    public let loginAuthority: LoginCertificateAuthority?

    /// Why the files do not make a TLS configuration, in words for the operator.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// `clientCAKey`, the client CA's private key, lets `POST /actions/login/` issue login certificates.
    public init(certificate: String, key: String, clientCA: String? = nil, clientCAKey: String? = nil) throws {
        let chain = try Self.certificates(certificate, "a PEM certificate chain")
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            // The error names the file, never its contents.
            throw Failure(description: "cannot read a PEM private key from \(key)")
        }
        var config = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                              privateKey: .privateKey(privateKey))
        config.minimumTLSVersion = .tlsv12
        if let clientCA {
            let roots = try Self.certificates(clientCA, "the client CA")
            // A client without a certificate connects (it may log in with a password); one with a certificate
            // that does not chain to this CA fails the handshake.
            config.certificateVerification = .optionalVerification
            config.trustRoots = .certificates(roots)
            config.sendCANameList = true
        }
        // Checked now, so that a key that does not match the certificate is an error at start, not at the first
        // client.
        do {
            _ = try NIOSSLContext(configuration: config)
        } catch {
            throw Failure(description: "the certificate \(certificate) and key \(key) do not make a TLS server: \(error)")
        }
        self.configuration = config
        clientCertificates = clientCA != nil
        if let clientCAKey {
            guard let clientCA else { throw Failure(description: "a client CA key needs its client CA certificate") }
            let keyPEM: String, caPEM: String
            do {
                keyPEM = try String(contentsOfFile: clientCAKey, encoding: .utf8)
                caPEM = try String(contentsOfFile: clientCA, encoding: .utf8)
            } catch {
                throw Failure(description: "cannot read \(clientCAKey): \(error.localizedDescription)")
            }
            do {
                loginAuthority = try LoginCertificateAuthority(certificatePEM: caPEM, keyPEM: keyPEM)
            } catch let e as LoginCertificateAuthority.Failure {
                throw Failure(description: "\(clientCAKey) \(e.description)")
            }
        } else {
            loginAuthority = nil
        }
    }

    /// The PEM certificates of a file, at least one.
    private static func certificates(_ path: String, _ what: String) throws -> [NIOSSLCertificate] {
        let found: [NIOSSLCertificate]
        do {
            found = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw Failure(description: "cannot read \(what) from \(path): \(error)")
        }
        guard !found.isEmpty else { throw Failure(description: "\(path) holds no PEM certificate") }
        return found
    }
}
