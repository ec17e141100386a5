public import Foundation
import PulpContract
import PulpModel

/// Leases on live servers: before writing an existing repository, an apply adds a claim to its notes
/// (`pulpform_lease_<holder>` = `<acquired> <expires> <holder>`), reads the notes back, and goes on only if
/// its claim is the oldest valid one. Expired claims are removed by whoever sees them. Two applies never
/// write one repository at once; applies on different repositories never wait for each other.
public struct LeaseOptions: Sendable {
    public var holder: String
    public var ttl: Double
    public var now: @Sendable () -> Double

    public init(holder: String, ttl: Double = 600, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.holder = holder
        self.ttl = ttl
        self.now = now
    }

    public static let prefix = OwnershipNotes.leasePrefix

    /// The note key: the prefix and the holder, with anything but letters, digits, `-` and `_` made `_`.
    var key: String { Self.prefix + String(holder.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") ? $0 : "_" }) }

    struct Claim {
        let key: String
        let acquired: Double
        let expires: Double
        let holder: String
    }

    static func claims(_ notes: JSONObject) -> [Claim] {
        notes.compactMap { k, v -> Claim? in
            guard k.hasPrefix(prefix), let text = v.stringValue else { return nil }
            let parts = text.split(separator: " ", maxSplits: 2).map(String.init)
            guard parts.count >= 2, let a = Double(parts[0]), let e = Double(parts[1]) else { return nil }
            return Claim(key: k, acquired: a, expires: e, holder: parts.count > 2 ? parts[2] : k)
        }
    }
}
