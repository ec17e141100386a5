import Foundation
import Testing
import PulpformTestKit
import PulpContract
@testable import PulpCore
@testable import PulpModel
@testable import PulpStore
@testable import Reconciler

@Suite("The controller's parts")
struct ControllerTests {
    @Test("backoff: the interval while runs succeed; doubled per failure in a row, up to the maximum; back to the interval after a success")
    func backoff() {
        var b = Backoff(interval: .seconds(5), maximum: .seconds(60))
        #expect(b.delay == .seconds(5))
        #expect(b.failed() == .seconds(10))
        #expect(b.failed() == .seconds(20))
        #expect(b.failed() == .seconds(40))
        #expect(b.failed() == .seconds(60))
        for _ in 0..<100 { b.failed() }
        #expect(b.delay == .seconds(60) && b.failures == 104)
        b.succeeded()
        #expect(b.delay == .seconds(5) && b.failures == 0)
        #expect(Backoff(interval: .seconds(30), maximum: .seconds(1)).maximum == .seconds(30), "the maximum is never below the interval")
    }

    @Test("durations as operators write them")
    func durations() {
        #expect(DurationText.parse("30s") == .seconds(30))
        #expect(DurationText.parse("5m") == .seconds(300))
        #expect(DurationText.parse("1h30m") == .seconds(5400))
        #expect(DurationText.parse("500ms") == .milliseconds(500))
        #expect(DurationText.parse("90") == .seconds(90))
        #expect(DurationText.parse("0.5") == .milliseconds(500))
        for bad in ["", "s", "5x", "-3", "5 m", "m5", "1.2.3s", "nan"] { #expect(DurationText.parse(bad) == nil, "\(bad)") }
        #expect(DurationText.describe(.milliseconds(400)) == "400 ms")
        #expect(DurationText.describe(.milliseconds(1500)) == "1.5 s")
        #expect(DurationText.describe(.seconds(600)) == "10 min")
    }

    @Test("git sources: which arguments are repositories, and URLs shown without their password")
    func gitSources() throws {
        #expect(GitSource.isRepository("file:///srv/m.git"))
        #expect(GitSource.isRepository("git@example.com:ops/manifests.git"))
        #expect(!GitSource.isRepository("/no/such/dir"))
        let tmp = try TempDir("pulpform-gitsource")
        #expect(!GitSource.isRepository(tmp.path("")), "a plain directory is read as it is")
        #expect(try runTool(["git", "init", "--quiet", "--bare", tmp.path("bare.git")]).status == 0)
        #expect(GitSource.isRepository(tmp.path("bare.git")))
        #expect(GitSource.redact("https://ci:s3cret@git.example.com/m.git") == "https://ci:***@git.example.com/m.git")
        #expect(GitSource.redact("https://git.example.com/m.git") == "https://git.example.com/m.git")
        #expect(GitSource(url: "https://ci:s3cret@git.example.com/m.git", branch: "main", subdirectory: nil, checkout: nil)
            .description == "https://ci:***@git.example.com/m.git (branch main)")
    }

    @Test("a failed fetch names the repository, and never its password")
    func fetchFailure() async throws {
        let tmp = try TempDir("pulpform-gitsource")
        let source = ManifestSource.git(GitSource(url: "http://ci:s3cret@127.0.0.1:9/m.git", branch: "main", subdirectory: nil,
                                                  checkout: tmp.path("co")))
        do {
            _ = try await source.snapshot()
            Issue.record("fetched from nowhere")
        } catch {
            #expect("\(error)".contains("git fetch branch main from http://ci:***@127.0.0.1:9/m.git failed"), "\(error)")
            #expect(!"\(error)".contains("s3cret"))
        }
    }

    @Test("the manifests are loaded again only when their files change")
    func statKey() throws {
        let tmp = try TempDir("pulpform-statkey")
        let file = tmp.path("m.yaml")
        try "repositories: []\n".write(toFile: file, atomically: true, encoding: .utf8)
        let k1 = ManifestSource.statKey([tmp.path("")])
        #expect(ManifestSource.statKey([tmp.path("")]) == k1)
        try "repositories: [{id: a}]\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(ManifestSource.statKey([tmp.path("")]) != k1)
        let k2 = ManifestSource.statKey([tmp.path("")])
        try "x: 1\n".write(toFile: tmp.path("more.yml"), atomically: true, encoding: .utf8)
        #expect(ManifestSource.statKey([tmp.path("")]) != k2, "a new file")
    }

    @Test("one run each way on a real store: self-heal applies and records the run, the next is in sync, a held lock skips the run")
    func runs() async throws {
        let rig = try Rig()
        let file = rig.dir.appendingPathComponent("m.yaml").path
        try "repositories:\n  - id: zoo\n    display_name: Zoo\n  - id: emu\n".write(toFile: file, atomically: true, encoding: .utf8)
        let lockPath = rig.dir.appendingPathComponent("store").path
        let target = ApplyTarget(pulp: rig.pulp, state: rig.state, locker: StoreLocker(storePath: lockPath), description: "test")
        var options = ControllerOptions()
        options.selfHeal = true
        let controller = Controller(source: .files([file]), target: target, options: options, metrics: nil) { _ in }
        var loaded: Controller.Loaded?

        let first = await controller.once(1, &loaded)
        guard case .applied(let report, let drift, _) = first.outcome else { Issue.record("\(first.outcome)"); return }
        #expect(report.succeeded && drift.items.map(\.address) == ["repository.zoo", "repository.emu"])
        #expect(first.counts == ObjectCounts(inSync: 2))
        let record = try #require(await rig.state.lastApply())
        #expect(record.source == file && record.revision == nil && record.failedSteps == 0 && record.steps == report.results.count)

        let second = await controller.once(2, &loaded)
        guard case .inSync = second.outcome else { Issue.record("\(second.outcome)"); return }
        #expect(second.counts == ObjectCounts(inSync: 2))

        // Reporting only: a change outside pulpform is drift, and is left alone.
        _ = try await rig.pulp.updateRepository("zoo", RepositoryUpdate(delta: ["display_name": "By hand"]))
        var reportOnly = options
        reportOnly.selfHeal = false
        let reporter = Controller(source: .files([file]), target: target, options: reportOnly, metrics: nil) { _ in }
        let third = await reporter.once(3, &loaded)
        guard case .drift(let d, _) = third.outcome else { Issue.record("\(third.outcome)"); return }
        #expect(d.items.map(\.kind) == [.outside] && third.counts == ObjectCounts(inSync: 1, drifted: 1))
        #expect(try await rig.pulp.repository("zoo", include: .none).repository.displayName == "By hand")

        // Another apply holds the lock: the run does nothing and is not a failure.
        let held = try ApplyLock(storePath: lockPath)
        let fourth = await controller.once(4, &loaded)
        guard case .skipped(let why) = fourth.outcome else { Issue.record("\(fourth.outcome)"); return }
        #expect(why.contains("another apply holds the lock") && !fourth.isFailure)
        withExtendedLifetime(held) {}
    }
}
