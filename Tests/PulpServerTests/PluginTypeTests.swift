import Foundation
import Testing
import PulpformTestKit
@testable import PulpModel

/// `GET /plugins/types/`, `/plugins/importers/` and `/plugins/distributors/` (pulp2-content.md §4.3), as
/// pubtools-pulplib and pulp-admin read them.
@Suite("plugin and content type listings")
struct PluginTypeTests {
    @Test("content types: every yum and iso type with its unit key; one by id; an unknown one is a 404")
    func contentTypes() async throws {
        try await TestPulp().serve { api in
            let list = try await api.get("plugins/types/")
            #expect(list.status == 200)
            let types = list.json.arrayValue ?? []
            let ids = types.compactMap { $0["id"]?.stringValue }
            for id in ["rpm", "srpm", "drpm", "erratum", "package_group", "package_category", "package_environment", "distribution",
                       "yum_repo_metadata_file", "iso"] {
                #expect(ids.contains(id), "\(id) in \(ids)")
            }
            let iso = try await api.get("plugins/types/iso/")
            #expect(iso.status == 200)
            let o = iso.object
            #expect(o["_href"] == "/pulp/api/v2/plugins/types/iso/" && o["_ns"] == "content_types" && o["display_name"] == "ISO")
            #expect(o["unit_key"] == ["name", "checksum", "size"] && o["search_indexes"] == [] && o["referenced_types"] == [])
            #expect(o["_id"]?["$oid"]?.stringValue?.count == 24)
            #expect(types.first { $0["id"] == "iso" }?.objectValue == o, "the list and the single type agree")
            #expect(types.first { $0["id"] == "rpm" }?["unit_key"] == ["name", "epoch", "version", "release", "arch", "checksumtype", "checksum"])
            expectErrorBody(try await api.get("plugins/types/nope/"), status: 404, code: "PLP0009")
        }
    }

    @Test("importer and distributor types: ids, display names and the content types each handles")
    func pluginTypes() async throws {
        try await TestPulp().serve { api in
            let importers = try await api.get("plugins/importers/").json.arrayValue ?? []
            #expect(importers.compactMap { $0["id"]?.stringValue } == PluginCatalog.builtin.importerIds)
            let yum = try await api.get("plugins/importers/yum_importer/").object
            #expect(yum["display_name"] == "Yum Importer" && yum["_href"] == "/pulp/api/v2/plugins/importers/yum_importer/")
            #expect(yum["types"]?.arrayValue?.contains("rpm") == true && yum["types"]?.arrayValue?.contains("erratum") == true)
            let distributors = try await api.get("plugins/distributors/").json.arrayValue ?? []
            #expect(distributors.compactMap { $0["id"]?.stringValue } == PluginCatalog.builtin.distributorIds)
            #expect(try await api.get("plugins/distributors/iso_distributor/").object["types"] == ["iso"])
            // An importer is not a distributor, and the other way round.
            expectErrorBody(try await api.get("plugins/distributors/yum_importer/"), status: 404, code: "PLP0009")
            expectErrorBody(try await api.get("plugins/importers/yum_distributor/"), status: 404, code: "PLP0009")
        }
    }
}
