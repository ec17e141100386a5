import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`, `::1/128`, or one address): the proxies whose user
/// header `serve` trusts (pulp2-auth.md §5.1).
public struct AddressRange: Sendable, Equatable, CustomStringConvertible {
    let network: [UInt8]
    let prefix: Int
    public let description: String

    /// nil when `text` is not an address or a network.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = Self.bytes(String(parts[0])) else { return nil }
        let bits = address.count * 8
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...bits).contains(p), String(p) == parts[1] else { return nil }
            prefix = p
        } else {
            prefix = bits
        }
        network = address
        description = text
    }

    /// Whether `address` (an IP in text, IPv4-mapped IPv6 included) is in this network.
    public func contains(_ address: String) -> Bool {
        guard var ip = Self.bytes(address) else { return false }
        if ip.count == 16, network.count == 4, ip.prefix(12).elementsEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]) {
            ip = Array(ip.suffix(4))
        }
        guard ip.count == network.count else { return false }
        var left = prefix
        for (a, b) in zip(ip, network) where left > 0 {
            let mask: UInt8 = left >= 8 ? 0xff : ~(0xff >> UInt8(left))
            if a & mask != b & mask { return false }
            left -= 8
        }
        return true
    }

    /// The address's bytes: 4 for IPv4, 16 for IPv6.
    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
