import Foundation
import PulpContract
public import PulpModel

/// How a step ended.
public enum StepState: String, Sendable {
    case finished, error, skipped
}

public struct StepResult: Sendable {
    public var step: PlanStep
    public var state: StepState
    /// The Pulp tasks the step ran (none for synchronous calls).
    public var tasks: [TaskReport]
    /// Why it failed or was skipped.
    public var message: String?
}

/// What `apply` did.
public struct ApplyReport: Sendable {
    public var groupId: String
    public var results: [StepResult]
    public var summary: TaskGroupSummary

    public init(groupId: String, results: [StepResult], summary: TaskGroupSummary) {
        self.groupId = groupId
        self.results = results
        self.summary = summary
    }

    /// Every step finished (and so every task).
    public var succeeded: Bool { results.allSatisfy { $0.state == .finished } }

    /// Steps that failed (skipped steps not counted).
    public var failedSteps: Int { results.filter { $0.state == .error }.count }

    /// Steps by how they ended.
    public var stateCounts: [StepState: Int] {
        var counts: [StepState: Int] = [:]
        for r in results { counts[r.state, default: 0] += 1 }
        return counts
    }

    /// The addresses (`repository.zoo`) of the objects a step of which did not finish: they are not as planned.
    public var unsettled: Set<String> {
        Set(results.filter { $0.state != .finished }.map { $0.step.unit.replacingOccurrences(of: ":", with: ".") })
    }
}

/// Progress of an apply, for live output.
public enum ApplyEvent: Sendable {
    case started(PlanStep)
    case ended(StepResult)
    /// Steps that ran together, in one batch (they were never reported as started).
    case endedTogether([StepResult])
}
