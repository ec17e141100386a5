import PulpCore
import PulpModel

/// What the target holds, read once through `PulpService`.
public struct ActualState: Sendable {
    public var repositories: [RepositoryDetails]
    public var syncSchedules: [String: [Schedule]]
    /// By repository, then distributor.
    public var publishSchedules: [String: [String: [Schedule]]]
    public var consumers: [Consumer]
    public var consumerSchedules: [String: [Schedule]]

    public init(repositories: [RepositoryDetails] = [], syncSchedules: [String: [Schedule]] = [:],
                publishSchedules: [String: [String: [Schedule]]] = [:], consumers: [Consumer] = [],
                consumerSchedules: [String: [Schedule]] = [:])
    {
        self.repositories = repositories
        self.syncSchedules = syncSchedules
        self.publishSchedules = publishSchedules
        self.consumers = consumers
        self.consumerSchedules = consumerSchedules
    }

    public static func read(from pulp: any PulpService) async throws -> ActualState {
        var state = ActualState()
        state.repositories = try await pulp.repositories(include: .all)
        for s in try await pulp.allSchedules(kinds: [.sync, .publish, .install, .update, .uninstall]) {
            switch s.owner {
            case .importer(let r, _): state.syncSchedules[r, default: []].append(s)
            case .distributor(let r, let d): state.publishSchedules[r, default: [:]][d, default: []].append(s)
            case .consumer(let c, _): state.consumerSchedules[c, default: []].append(s)
            }
        }
        state.consumers = try await pulp.consumers()
        return state
    }
}
