import Testing
import PulpAuth

@Suite("trusted proxy address ranges")
struct AddressRangeTests {
    @Test("CIDR networks of IPv4 and IPv6, single addresses, IPv4-mapped peers; bad text is nil")
    func ranges() throws {
        let ten = try #require(AddressRange("10.0.0.0/8"))
        #expect(ten.contains("10.1.2.3") && ten.contains("::ffff:10.9.9.9"))
        #expect(!ten.contains("11.0.0.1") && !ten.contains("::1") && !ten.contains("not an address"))
        let odd = try #require(AddressRange("192.168.4.0/22"))
        #expect(odd.contains("192.168.7.255") && !odd.contains("192.168.8.0") && !odd.contains("192.168.3.255"))
        let one = try #require(AddressRange("127.0.0.1"))
        #expect(one.contains("127.0.0.1") && !one.contains("127.0.0.2"))
        let v6 = try #require(AddressRange("fd00::/8"))
        #expect(v6.contains("fd12:3456::1") && !v6.contains("fe80::1") && !v6.contains("10.0.0.1"))
        #expect(AddressRange("0.0.0.0/0")?.contains("8.8.8.8") == true)
        for bad in ["10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "host.example", "::1/129", "10.0.0.0/8/1", "10.0.0.0/08", ""] {
            #expect(AddressRange(bad) == nil, "\(bad)")
        }
    }
}
