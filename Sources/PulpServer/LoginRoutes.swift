import Hummingbird
import PulpAuth
import PulpCore
import PulpModel

extension PulpAPI {
    /// `POST /actions/login/` (pulp2-auth.md §1.4, §5.1): a login certificate and its key for the caller, which
    /// pulp-admin-style clients then present instead of a password. Only for a caller who gave Basic credentials
    /// (a certificate cannot renew itself), over TLS or from loopback; 501 when the server has no CA key to sign
    /// with.
    func addLoginRoutes(_ r: RouteTable) {
        r.on(.post, "/actions/login/", .read) { _, context in
            guard let login = context.principal?.login else {
                throw PulpError.forbidden(reason: "login requires a user: this server runs without authentication")
            }
            guard context.credential == .basic || context.credential == .proxy else {
                throw PulpError.forbidden(reason: "login requires password authentication: a login certificate cannot renew itself")
            }
            guard auth.settings.tls || context.fromLoopback else {
                throw PulpError.forbidden(reason: "login requires password authentication over TLS")
            }
            guard let authority = auth.settings.loginAuthority else {
                throw PulpError(code: "PLP0014", httpStatus: 501, message: "Operation not implemented: login",
                                data: ["operation_name": "login"])
            }
            return json(try await pulp.issueLoginCertificate(login: login, authority: authority))
        }
    }
}
