import Foundation
import HTTPTypes
import Hummingbird
public import PulpAuth
import Synchronization

/// OAuth 1.0 as `serve --oauth-key-file` turns it on (pulp2-auth.md §5.1): the consumer, the nonces it has seen,
/// and the public URL clients sign (when a proxy in front changes the scheme or host).
public final class OAuthCheck: Sendable {
    let consumer: OAuthConsumer
    /// `scheme://host[:port]` as clients see the server; nil: the request's own scheme and `Host`.
    let publicURL: String?
    private let nonces = Mutex(NonceLedger())

    public init(consumer: OAuthConsumer, publicURL: String? = nil) {
        self.consumer = consumer
        self.publicURL = publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    /// Whether the request's signature holds; the reason when not.
    func verify(_ request: Request, oauth: [String: String], tls: Bool, now: Double) -> OAuthConsumer.Verdict {
        let url = origin(request, tls: tls) + request.uri.path
        return nonces.withLock { ledger in
            consumer.verify(method: request.method.rawValue, url: url, query: request.queryPairs, oauth: oauth, now: now, nonces: &ledger)
        }
    }

    /// RFC 5849 §3.4.1.2: lower-case scheme and host, the port only when it is not the scheme's default.
    func origin(_ request: Request, tls: Bool) -> String {
        if let publicURL { return publicURL }
        let scheme = tls ? "https" : "http"
        var host = (request.head.authority ?? "").lowercased()
        if host.hasSuffix(tls ? ":443" : ":80") { host = String(host.dropLast(tls ? 4 : 3)) }
        return scheme + "://" + host
    }
}
