import Foundation
public import PulpAuth
public import PulpModel
import PulpStore

/// What a client certificate came to.
public enum CertificateOutcome: Sendable, Equatable {
    case user(String)
    /// Not a login certificate this server issued and still honours (PLP0027 names the common name, when there is
    /// one).
    case invalid(commonName: String?)
}

/// Login certificates (pulp2-auth.md §1.4, §5.1): issued by `POST /actions/login/`, recorded by serial, honoured
/// as client certificates while unrevoked and unexpired. A new password revokes a user's certificates; disabling or
/// deleting the user revokes them too.
extension LocalPulp {
    /// Makes a key and certificate for `login`, signed by `authority`, and records the serial. Pulp 2.8's body:
    /// `{"key": <PEM>, "certificate": <PEM>}`.
    public func issueLoginCertificate(login: String, authority: LoginCertificateAuthority) async throws -> JSONObject {
        guard let account = access.account(login), !account.disabled else {
            throw PulpError.missingResource(["user": login])
        }
        let now = clock.now().epoch
        let issued = try await HashingPool.run {
            try authority.issue(login: login, oid: account.oid, now: Date(timeIntervalSince1970: now))
        }
        try await authWrite { db in
            guard let u = try db.user(login), !u.disabled, u.oid == account.oid else { throw PulpError.missingResource(["user": login]) }
            try db.insertLoginCertificate(StoredLoginCertificate(serial: issued.serial, login: login, issued: now,
                                                                 expires: issued.expires.timeIntervalSince1970))
        }
        return ["key": .string(issued.keyPEM), "certificate": .string(issued.certificatePEM)]
    }

    /// Who a client certificate (DER, already verified against the client CA by the TLS handshake) logs in as.
    public func certificateLogin(der: [UInt8]) -> CertificateOutcome {
        guard let certificate = LoginCertificate(der: der) else { return .invalid(commonName: nil) }
        guard let (login, oid) = certificate.user,
              access.certificateCounts(serial: certificate.serial, login: login, oid: oid, now: clock.now().epoch) else {
            return .invalid(commonName: certificate.commonName)
        }
        return .user(login)
    }
}
