/// Pulp 2.8's authentication errors (pulp2-auth.md §1.7): all 401, permission denied included, each with the
/// legacy top-level `auth_error_code` that pulp-admin picks its message by.
extension PulpError {
    /// PLP0025: no credentials that any method accepted.
    public static func authenticationFailed() -> PulpError {
        PulpError(code: "PLP0025", httpStatus: 401, message: "Authentication failed.", extra: ["auth_error_code": "authentication_failed"])
    }

    /// PLP0026: authenticated, but without the operation on the resource.
    public static func permissionDenied(user: String, operation: String) -> PulpError {
        PulpError(code: "PLP0026", httpStatus: 401, message: "Permission denied: user \(user) cannot perform \(operation).",
                  data: ["user": .string(user), "operation": .string(operation)], extra: ["auth_error_code": "permission_denied"])
    }

    /// PLP0027: a client certificate that names no usable login certificate.
    public static func invalidCertificate(user: String?) -> PulpError {
        PulpError(code: "PLP0027", httpStatus: 401,
                  message: "Authentication with username \(user ?? "None") failed: invalid SSL certificate.",
                  data: ["user": user.map(JSONValue.string) ?? .null], extra: ["auth_error_code": "invalid_ssl_certificate"])
    }

    /// PLP0028: an OAuth signature that does not hold, or a `pulp-user` pulpform does not know.
    public static func invalidOAuthCredentials(user: String?) -> PulpError {
        PulpError(code: "PLP0028", httpStatus: 401,
                  message: "Authentication with username \(user ?? "None") failed: invalid oauth credentials.",
                  data: ["user": user.map(JSONValue.string) ?? .null], extra: ["auth_error_code": "invalid_oauth_credentials"])
    }

    /// PLP0029: a trusted proxy named a user pulpform does not know.
    public static func preauthenticatedUserMissing(user: String) -> PulpError {
        PulpError(code: "PLP0029", httpStatus: 401,
                  message: "Authentication with username \(user) failed: preauthenticated remote user is missing.",
                  data: ["user": .string(user)], extra: ["auth_error_code": "pre_auth_remote_user_missing"])
    }

    /// PLP0030: a wrong login, password or token (Pulp's message has no final period).
    public static func invalidCredentials(user: String) -> PulpError {
        PulpError(code: "PLP0030", httpStatus: 401,
                  message: "Authentication with username \(user) failed: invalid username or password",
                  data: ["user": .string(user)], extra: ["auth_error_code": "invalid_username_or_password"])
    }

    /// PFM0001 (429): too many failed logins from this address; `seconds` goes to `Retry-After` as well.
    public static func loginThrottled(retryAfter seconds: Int) -> PulpError {
        let message = "Too many failed authentication attempts; retry after \(seconds) seconds."
        return PulpError(code: "PFM0001", httpStatus: 429, message: message, data: ["retry_after": .int(seconds)],
                         extra: ["auth_error_code": "authentication_failed"])
    }

    /// PLP0042 (403): refused by policy (for instance a login certificate asked over plain HTTP), with the reason.
    public static func forbidden(reason: String) -> PulpError {
        PulpError(code: "PLP0042", httpStatus: 403, message: "This request is forbidden.", data: ["reason": .string(reason)],
                  extra: ["args": []])
    }
}
