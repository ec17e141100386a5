import Foundation
import Testing
@testable import PulpModel

@Suite("Id rules, config cleaning, secrets and the catalog")
struct RulesTests {
    @Test("repository ids allow dots; distributor ids do not")
    func ids() {
        for ok in ["zoo", "rhel-7.9_x86_64", "...", "A-Z_0.9"] { #expect(IDRules.isValidRepositoryId(ok)) }
        for bad in ["", "bad id!", "a/b", "é", "a b", "x\n"] { #expect(!IDRules.isValidRepositoryId(bad)) }
        for ok in ["dist_1", "yum-distributor", "X9"] { #expect(IDRules.isValidDistributorId(ok)) }
        for bad in ["", "dist.1", "a b", "a/b"] { #expect(!IDRules.isValidDistributorId(bad)) }
        #expect(IDRules.isValidRepositoryId(String(repeating: "a", count: 512)))
        #expect(!IDRules.isValidRepositoryId(String(repeating: "a", count: 513)), "ids must fit in a URL")
        #expect(!IDRules.isValidDistributorId(String(repeating: "a", count: 513)))
    }

    @Test("configs drop nulls; merges remove keys on null, even absent ones")
    func cleaning() {
        #expect(ConfigRules.clean(["relative_url": nil, "http": true]) == ["http": true])
        #expect(ConfigRules.merge(["a": 1, "b": 2], ["a": nil, "c": 3, "zz": nil]) == ["b": 2, "c": 3])
    }

    @Test("importer secrets are masked in every representation, distributor configs are not")
    func masking() {
        let i = Importer(repoId: "r", typeId: "yum_importer", oid: "0", config: [
            "feed": "https://cdn/x", "proxy_password": "hunter2", "basic_auth_password": "pw", "ssl_client_key": "KEY",
            "query_auth_token": "tok",
        ])
        let config = i.json()["config"]
        #expect(config?["proxy_password"] == "*****")
        #expect(config?["basic_auth_password"] == "*****")
        #expect(config?["ssl_client_key"] == "*****")
        #expect(config?["query_auth_token"] == "*****")
        #expect(config?["feed"] == "https://cdn/x")
        #expect(i.config["proxy_password"] == "hunter2", "stored values are unchanged")
        // Pulp's two mask fields apply to every type, even one the catalog does not know.
        let unknown = Importer(repoId: "r", typeId: "puppet_importer", oid: "0", config: ["proxy_password": "x"])
        #expect(unknown.json()["config"]?["proxy_password"] == "*****")
        let d = Distributor(repoId: "r", id: "d", typeId: "yum_distributor", oid: "0", config: ["proxy_password": "x"], autoPublish: false)
        #expect(d.json()["config"]?["proxy_password"] == "x")
    }

    @Test("the catalog knows every required type, with its secrets")
    func catalog() {
        let c = PluginCatalog.builtin
        for t in ["harness_importer", "yum_importer", "iso_importer", "docker_importer"] {
            #expect(c.importer(t) != nil, "\(t)")
            #expect(c.distributor(t) == nil)
        }
        for t in ["harness_distributor", "yum_distributor", "export_distributor", "iso_distributor", "cdn_distributor",
                  "docker_distributor_web"] {
            #expect(c.distributor(t) != nil, "\(t)")
        }
        for t in ["yum_importer", "iso_importer", "docker_importer"] {
            #expect(c.importer(t)?.secretKeys.isSuperset(of: ["proxy_password", "basic_auth_password"]) == true)
            #expect(c.importer(t)?.key("feed")?.type == .string)
        }
        #expect(c.distributor("yum_distributor")?.key("relative_url")?.required == true)
        #expect(c.importer("yum_importer")?.key("ssl_validation")?.defaultValue == true)
        #expect(ConfigValueType.stringList.accepts(["rpm", "drpm"]))
        #expect(!ConfigValueType.stringList.accepts([1]))
        #expect(ConfigValueType.number.accepts(.int(3)) && ConfigValueType.number.accepts(.double(1.5)))
        #expect(!ConfigValueType.bool.accepts("true"))
        // A new type is data: adding it needs no code.
        var extended = c
        extended.add(PluginType(id: "puppet_importer", kind: .importer, summary: "puppet", keys: [
            ConfigKey("feed", .string, "forge URL"), ConfigKey("token", .string, secret: true, "API token"),
        ]))
        #expect(extended.importerMaskedKeys("puppet_importer") == ["basic_auth_password", "proxy_password", "token"])
    }

    @Test("object ids are 24 hex digits")
    func objectIds() {
        let id = PulpIDs.objectId(now: 1_390_858_910)
        #expect(id.count == 24)
        #expect(PulpIDs.isObjectId(id))
        #expect(id.hasPrefix("52e6d29e"))
        #expect(!PulpIDs.isObjectId("not-an-id"))
        #expect(PulpIDs.uuid().count == 36)
    }

    @Test("uuids are lowercase version-4 uuids, all different")
    func uuids() throws {
        let ids = (0..<1000).map { _ in PulpIDs.uuid() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            let parsed = try #require(UUID(uuidString: id), "\(id)")
            #expect(parsed.uuidString.lowercased() == id)
            let parts = id.split(separator: "-")
            #expect(parts.map(\.count) == [8, 4, 4, 4, 12] && parts[2].hasPrefix("4") && "89ab".contains(parts[3].first ?? "x"), "\(id)")
        }
    }

    @Test("unit ids are lowercase version-7 uuids, increasing in the order they are made, even within a millisecond")
    func unitIds() throws {
        let generator = PulpIDs.UnitIdGenerator()
        let now = Date(timeIntervalSince1970: 1_795_000_000.123)
        let ids = (0..<5000).map { _ in generator.next(now: now) } + [generator.next(now: Date())]
        #expect(Set(ids).count == ids.count)
        #expect(ids == ids.sorted(), "the same millisecond 5,000 times (past the 4,096 a millisecond's sequence holds), then now")
        for id in ids {
            let parsed = try #require(UUID(uuidString: id), "\(id)")
            #expect(parsed.uuidString.lowercased() == id)
            let parts = id.split(separator: "-")
            #expect(parts.map(\.count) == [8, 4, 4, 4, 12] && parts[2].hasPrefix("7") && "89ab".contains(parts[3].first ?? "x"), "\(id)")
        }
        let ms = String(UInt64(1_795_000_000_123), radix: 16)
        #expect(ids[0].hasPrefix((String(repeating: "0", count: 12 - ms.count) + ms).prefix(8)), "milliseconds first: \(ids[0])")
        #expect(ids[4096].hasPrefix(ids[0].prefix(8)) && ids[0] != ids[4096], "a full millisecond moves on to the next one")
        #expect(PulpIDs.unitId() < PulpIDs.unitId())
    }
}
