import Foundation
import Hummingbird
import Testing
import PulpformTestKit
@testable import PulpClient
import PulpContract
@testable import PulpCore
@testable import PulpModel
@testable import PulpServer
@testable import PulpStore

enum Implementation: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inProcess, http
    var testDescription: String { rawValue }
}

/// The kit's rig and the service under test over it: `LocalPulp` itself, or `PulpClient` over the kit's live server.
final class ContractRig: @unchecked Sendable {
    let rig: TestPulp
    let service: any PulpService
    let server: LiveServer?
    let client: PulpClient?

    init(_ impl: Implementation, pageSize: Int = 1000) async throws {
        rig = try TestPulp("pulpform-contract", realTime: true)
        switch impl {
        case .inProcess:
            server = nil
            client = nil
            service = rig.pulp
        case .http:
            let s = try await LiveServer(pulp: rig.pulp)
            let c = try PulpClient(.init(baseURL: s.baseURL, pageSize: pageSize))
            server = s
            client = c
            service = c
        }
    }

    var dir: URL { rig.dir }
    var local: LocalPulp { rig.pulp }

    func close() async {
        try? await client?.shutdown()
        await server?.stop()
    }
}

/// One suite, identical expectations, both implementations of `PulpService`.
@Suite("PulpService contract")
struct ContractTests {
    @Test("repositories: create all-or-nothing, read, update, search, delete", arguments: Implementation.allCases)
    func repositories(_ impl: Implementation) async throws {
        let rig = try await ContractRig(impl, pageSize: 3)
        defer { Task { await rig.close() } }
        let pulp = rig.service
        let repo = try await pulp.createRepository(RepositoryCreate(
            id: "zoo", displayName: "Zoo", notes: ["team": "a"], importerTypeId: "yum_importer",
            importerConfig: ["feed": "https://x/", "proxy_password": "hunter2", "proxy_host": nil],
            distributors: [DistributorCreate(distributorId: "yum", typeId: "yum_distributor", config: ["relative_url": "zoo"])]))
        #expect(repo.id == "zoo" && repo.displayName == "Zoo" && repo.notes == ["team": "a"])
        let details = try await pulp.repository("zoo", include: .all)
        #expect(details.importers?.first?.typeId == "yum_importer")
        #expect(details.importers?.first?.config["feed"] == "https://x/")
        #expect(details.importers?.first?.config["proxy_host"] == nil, "nulls cleaned")
        #expect(details.importers?.first?.config["proxy_password"] != nil)
        #expect(details.distributors?.map(\.id) == ["yum"])
        await expectPulpError("PLP0018", status: 409) { _ = try await pulp.createRepository(RepositoryCreate(id: "zoo")) }
        await expectPulpError("PLP0015", status: 400) { _ = try await pulp.createRepository(RepositoryCreate(id: "bad id")) }
        await expectPulpError("PLP0015", status: 400) {
            _ = try await pulp.createRepository(RepositoryCreate(id: "half", distributors: [DistributorCreate(distributorId: "d.x", typeId: "yum_distributor")]))
        }
        await expectPulpError("PLP0009", status: 404) { _ = try await pulp.repository("half", include: .none) }
        let updated = try await pulp.updateRepository("zoo", RepositoryUpdate(delta: ["description": "d", "notes": ["team": nil, "x": "1"]]))
        #expect(updated.spawnedTasks.isEmpty)
        #expect(updated.result["notes"] == ["x": "1"])
        for i in 0..<7 { _ = try await pulp.createRepository(RepositoryCreate(id: "r\(i)")) }
        let all = try await pulp.repositories(include: .all)
        #expect(all.map(\.repository.id) == ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "zoo"] || all.count == 8, "every page, once")
        #expect(Set(all.map(\.repository.id)).count == 8)
        let del = try await pulp.deleteRepository("r0")
        let done = try await pulp.waitForTasks(del.spawnedTasks, followSpawned: true)
        #expect(done.map(\.state) == [.finished])
        await expectPulpError("PLP0009", status: 404) { _ = try await pulp.repository("r0", include: .none) }
        await expectPulpError("PLP0009", status: 404) { _ = try await pulp.deleteRepository("r0") }
    }

    @Test("importers, distributors, sync, publish and tasks", arguments: Implementation.allCases)
    func plugins(_ impl: Implementation) async throws {
        let rig = try await ContractRig(impl)
        defer { Task { await rig.close() } }
        let pulp = rig.service
        _ = try await pulp.createRepository(RepositoryCreate(id: "h", importerTypeId: "harness_importer", importerConfig: ["num_units": "4"]))
        let dist = try await pulp.addDistributor(repoId: "h", DistributorCreate(distributorId: "d", typeId: "harness_distributor",
                                                                                config: ["write_files": "false"], autoPublish: true))
        #expect(dist.autoPublish && dist.typeId == "harness_distributor")
        let sync = try await pulp.waitForTasks(try await pulp.sync(repoId: "h", overrides: [:]).spawnedTasks, followSpawned: true)
        #expect(sync.map(\.state) == [.finished, .finished], "the sync and its auto-publish")
        #expect(sync.first?.tags == ["pulp:repository:h", "pulp:action:sync"])
        #expect(sync.first?.result["added_count"] == 4)
        #expect(try await pulp.syncHistory(repoId: "h", query: HistoryQuery()).first?.addedCount == 4)
        #expect(try await pulp.publishHistory(repoId: "h", distributorId: "d", query: HistoryQuery(limit: 1)).count == 1)
        let upd = try await pulp.waitForTasks(try await pulp.updateImporter(repoId: "h", importerId: "harness_importer",
                                                                          config: ["num_units": "6", "x": 1]).spawnedTasks, followSpawned: false)
        #expect(upd.first?.state == .finished)
        #expect(try await pulp.importer(repoId: "h", importerId: "harness_importer").config == ["num_units": "6", "x": 1])
        await expectPulpError("PLP0009", status: 404) { _ = try await pulp.importer(repoId: "h", importerId: "yum_importer") }
        await expectPulpError("PLP1008", status: 400) { _ = try await pulp.setImporter(repoId: "h", typeId: "nope", config: [:]) }
        let bad = try await pulp.waitForTasks(try await pulp.updateDistributor(repoId: "h", distributorId: "d",
                                                                              DistributorUpdate(delta: ["auto_publish": "yes"])).spawnedTasks, followSpawned: false)
        #expect(bad.first?.state == .error)
        #expect(bad.first?.error["code"] == "PLP0015")
        let removed = try await pulp.waitForTasks(try await pulp.removeDistributor(repoId: "h", distributorId: "d").spawnedTasks, followSpawned: false)
        #expect(removed.first?.state == .finished)
        #expect(try await pulp.distributors(repoId: "h").isEmpty)
        let byId = try await pulp.tasks(ids: sync.map(\.taskId) + ["nope"])
        #expect(byId.map(\.taskId) == sync.map(\.taskId))
        #expect(try await pulp.tasks(tags: ["pulp:repository:h", "pulp:action:sync"]).count == 1)
        try await pulp.cancelTask(sync[0].taskId)
        #expect(try await pulp.task(sync[0].taskId).state == .finished, "canceling a complete task changes nothing")
        await expectPulpError("PLP1012", status: 403) { try await pulp.purgeTasks(states: []) }
        await expectPulpError("PLP1011", status: 400) { try await pulp.purgeTasks(states: ["running"]) }
        try await pulp.purgeTasks(states: ["finished", "error"])
        await expectPulpError("PLP0009", status: 404) { _ = try await pulp.task(sync[0].taskId) }
        #expect(try await pulp.taskGroupSummary("none").total == 0)
        await expectPulpError("PLP0009", status: 404) { try await pulp.cancelTaskGroup("none") }
    }

    @Test("schedules and consumers", arguments: Implementation.allCases)
    func schedulesAndConsumers(_ impl: Implementation) async throws {
        let rig = try await ContractRig(impl)
        defer { Task { await rig.close() } }
        let pulp = rig.service
        _ = try await pulp.createRepository(RepositoryCreate(id: "h", importerTypeId: "iso_importer", distributors: [
            DistributorCreate(distributorId: "d", typeId: "iso_distributor"),
        ]))
        let syncOwner = ScheduleOwner.importer(repoId: "h", importerId: "iso_importer")
        let s = try await pulp.createSchedule(syncOwner, ScheduleCreate(schedule: "R3/2030-01-01T00:00:00Z/P1D", overrideConfig: ["a": 1],
                                                                        failureThreshold: 2))
        #expect(s.remainingRuns == 3 && s.failureThreshold == 2 && s.kwargs["overrides"] == ["a": 1])
        #expect(s.firstRun.iso8601 == "2030-01-01T00:00:00Z")
        let u = try await pulp.updateSchedule(syncOwner, id: s.id, ScheduleUpdate(enabled: false))
        #expect(!u.enabled)
        #expect(try await pulp.schedule(syncOwner, id: s.id).id == s.id)
        let p = try await pulp.createSchedule(.distributor(repoId: "h", distributorId: "d"), ScheduleCreate(schedule: "PT6H"))
        await expectPulpError("PLP0015", status: 400) { _ = try await pulp.createSchedule(syncOwner, ScheduleCreate(schedule: "P1M")) }
        await expectPulpError("PLP0009", status: 404) { _ = try await pulp.schedules(.importer(repoId: "h", importerId: "yum_importer")) }
        let c = try await pulp.registerConsumer(ConsumerRegister(id: "web1", notes: ["rack": "4"]))
        #expect(c.notes == ["rack": "4"])
        #expect(try await pulp.updateConsumer("web1", delta: ["display_name": "Web 1"]).displayName == "Web 1")
        let cs = try await pulp.createSchedule(.consumer(consumerId: "web1", action: .update),
                                               ScheduleCreate(schedule: "PT1H", units: [["type_id": "rpm"]], options: ["reboot": true]))
        #expect(cs.kwargs["units"] == [["type_id": "rpm"]] && cs.kwargs["options"] == ["reboot": true])
        let all = try await pulp.allSchedules(kinds: [.sync, .publish, .install, .update, .uninstall])
        #expect(Set(all.map(\.id)) == [s.id, p.id, cs.id])
        #expect(Set(all.map(\.kind)) == [.sync, .publish, .update])
        try await pulp.deleteSchedule(syncOwner, id: s.id)
        await expectPulpError("PLP0009", status: 404) { _ = try await pulp.schedule(syncOwner, id: s.id) }
        #expect(try await pulp.consumers().map(\.id) == ["web1"])
        try await pulp.unregisterConsumer("web1")
        await expectPulpError("PLP0009", status: 404) { _ = try await pulp.consumer("web1") }
    }
}

@Suite("PulpClient robustness")
struct ClientRobustnessTests {
    @Test("a server that answers garbage, or is not there, is a clear error naming the URL")
    func garbage() async throws {
        // A plain TCP listener that answers HTML.
        let html = try await LiveHTML.start()
        defer { Task { await html.stop() } }
        let client = try PulpClient(.init(baseURL: "http://127.0.0.1:\(html.port)/", timeout: .seconds(5), attempts: 2))
        do {
            _ = try await client.repository("zoo", include: .none)
            Issue.record("garbage accepted")
        } catch let e as ClientError {
            #expect(e.url == "http://127.0.0.1:\(html.port)/pulp/api/v2/repositories/zoo/")
            #expect(e.message.contains("not JSON"))
        }
        try await client.shutdown()
        let nobody = try PulpClient(.init(baseURL: "http://127.0.0.1:1/", timeout: .seconds(2), attempts: 2))
        do {
            _ = try await nobody.consumers()
            Issue.record("no server, but no error")
        } catch let e as ClientError {
            #expect(e.url.hasPrefix("http://127.0.0.1:1/pulp/api/v2/consumers/"))
            #expect(e.message.hasPrefix("connection failed"))
        }
        try await nobody.shutdown()
        #expect(throws: ClientError.self) { _ = try PulpClient(.init(baseURL: "ftp://x/")) }
    }
}

/// A server that answers every request with HTML (as a misconfigured proxy would).
enum LiveHTML {
    static func start() async throws -> LiveServer {
        let router = Router()
        router.get("**") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: "<html>proxy login</html>")))
        }
        return try await LiveServer(router: router)
    }
}

/// Counts requests and fails the first `failures` of each path with 503.
actor FlakyCounter {
    var seen: [String: Int] = [:]
    func next(_ key: String) -> Int {
        seen[key, default: 0] += 1
        return seen[key, default: 0]
    }
}

@Suite("PulpClient retries")
struct ClientRetryTests {
    @Test("reads are retried with backoff on 5xx; writes are never resent")
    func retries() async throws {
        let counter = FlakyCounter()
        let router = Router()
        router.get("/pulp/api/v2/consumers/") { _, _ in
            let n = await counter.next("GET")
            if n <= 2 { return Response(status: .serviceUnavailable, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "null"))) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "[]")))
        }
        router.post("/pulp/api/v2/consumers/") { _, _ in
            _ = await counter.next("POST")
            return Response(status: .serviceUnavailable, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "null")))
        }
        let server = try await LiveServer(router: router)
        let port = server.port
        let client = try PulpClient(.init(baseURL: "http://127.0.0.1:\(port)/", timeout: .seconds(5), attempts: 4))
        #expect(try await client.consumers().isEmpty, "the third attempt succeeds")
        #expect(await counter.seen["GET"] == 3)
        await #expect(throws: ClientError.self) { _ = try await client.registerConsumer(ConsumerRegister(id: "x")) }
        #expect(await counter.seen["POST"] == 1, "a failed write is not resent")
        try await client.shutdown()
        await server.stop()
    }
}
