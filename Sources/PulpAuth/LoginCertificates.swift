import Crypto
public import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// Pulp's login certificates (pulp2-auth.md §1.4, §5.1), done as §5.1 recommends instead of 2.8's RSA-1024/SHA-1:
/// an RSA-2048 key made per login, a certificate signed with SHA-256 by the client CA, a random 128-bit serial,
/// `CN=admin:<login>:<user id>`, client authentication only, not a CA.
public struct LoginCertificateAuthority: Sendable {
    /// Pulp 2's prefix of the common name of a user's certificate (`ADMIN_PREFIX`).
    public static let commonNamePrefix = "admin:"
    /// Pulp 2's `user_cert_expiration` default.
    public static let defaultLifetime: TimeInterval = 7 * 24 * 3600

    let certificate: Certificate
    let key: Certificate.PrivateKey
    let signatureAlgorithm: Certificate.SignatureAlgorithm

    /// Why the CA's files do not make an authority, in words for the operator (never a key's contents).
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The CA from its PEM certificate (the first of the file) and its PEM private key (PKCS#1, SEC1 or PKCS#8;
    /// RSA or ECDSA). The key must be the certificate's.
    public init(certificatePEM: String, keyPEM: String) throws {
        do {
            // The first certificate of the file: a CA file may hold a chain.
            guard let first = try PEMDocument.parseMultiple(pemString: certificatePEM).first(where: { $0.discriminator == "CERTIFICATE" }) else {
                throw Failure(description: "no CERTIFICATE block")
            }
            certificate = try Certificate(pemDocument: first)
        } catch {
            throw Failure(description: "holds no PEM certificate that reads: \(error)")
        }
        do {
            key = try Certificate.PrivateKey(pemEncoded: keyPEM)
        } catch {
            throw Failure(description: "holds no RSA or ECDSA private key in PEM")
        }
        guard key.publicKey == certificate.publicKey else {
            throw Failure(description: "is not the private key of the client CA's certificate")
        }
        guard let algorithm = [Certificate.SignatureAlgorithm.sha256WithRSAEncryption, .ecdsaWithSHA256]
            .first(where: key.supportedSignatureAlgorithms.contains) else {
            throw Failure(description: "is a key that cannot sign with SHA-256")
        }
        signatureAlgorithm = algorithm
    }

    /// A new key and certificate for `login` (whose user id is `oid`), valid from a minute ago (clock skew) for
    /// `lifetime`. The key is PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`), as Pulp's clients expect. Slow (an RSA key is
    /// made): call it off the cooperative pool.
    public func issue(login: String, oid: String, now: Date, lifetime: TimeInterval = Self.defaultLifetime) throws -> Issued {
        let userKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let serial = Certificate.SerialNumber(bytes: RandomSecret.bytes(16))
        let subject = try DistinguishedName { CommonName(Self.commonNamePrefix + login + ":" + oid) }
        let publicKey = Certificate.PublicKey(userKey.publicKey)
        let authorityKeyIdentifier = ((try? certificate.extensions.subjectKeyIdentifier) ?? nil)?.keyIdentifier
            ?? ArraySlice(Insecure.SHA1.hash(data: certificate.publicKey.subjectPublicKeyInfoBytes))
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
            try ExtendedKeyUsage([.clientAuth])
            SubjectKeyIdentifier(hash: publicKey)
            AuthorityKeyIdentifier(keyIdentifier: authorityKeyIdentifier)
        }
        let notAfter = now.addingTimeInterval(lifetime)
        let issued = try Certificate(version: .v3, serialNumber: serial, publicKey: publicKey,
                                     notValidBefore: now.addingTimeInterval(-60), notValidAfter: notAfter,
                                     issuer: certificate.subject, subject: subject, signatureAlgorithm: signatureAlgorithm,
                                     extensions: extensions, issuerPrivateKey: key)
        return Issued(serial: LoginCertificate.hex(issued.serialNumber), expires: notAfter,
                      certificatePEM: try issued.serializeAsPEM().pemString, keyPEM: userKey.pemRepresentation)
    }

    /// What `issue` made: the serial to record, and the PEMs for the client.
    public struct Issued: Sendable {
        public let serial: String
        public let expires: Date
        public let certificatePEM: String
        public let keyPEM: String
    }
}

/// Who a login certificate presented by a client names (pulp2-auth.md §1.5, §5.1).
public struct LoginCertificate: Sendable, Equatable {
    public let commonName: String
    /// The serial in lower-case hex.
    public let serial: String

    /// Reads a DER certificate; nil when it does not parse or has no common name.
    public init?(der: [UInt8]) {
        guard let certificate = try? Certificate(derEncoded: der) else { return nil }
        var found: String?
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                found = String(attribute.value)
            }
        }
        guard let found else { return nil }
        commonName = found
        serial = Self.hex(certificate.serialNumber)
    }

    /// The login and user id of a `CN=admin:<login>:<id>` certificate; nil for any other common name.
    public var user: (login: String, oid: String)? {
        guard commonName.hasPrefix(LoginCertificateAuthority.commonNamePrefix) else { return nil }
        let rest = commonName.dropFirst(LoginCertificateAuthority.commonNamePrefix.count)
        guard let colon = rest.lastIndex(of: ":") else { return nil }
        let login = String(rest[..<colon]), oid = String(rest[rest.index(after: colon)...])
        guard !login.isEmpty, !oid.isEmpty else { return nil }
        return (login, oid)
    }

    static func hex(_ serial: Certificate.SerialNumber) -> String {
        serial.bytes.map { String(format: "%02x", $0) }.joined()
    }
}
