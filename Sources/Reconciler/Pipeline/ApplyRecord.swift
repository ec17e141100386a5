import Foundation
public import PulpModel

/// The last apply that ran to its end on a target, and where its manifests came from: what `watch` records so that
/// an operator can tell which revision of the manifests the target was last brought to.
public struct ApplyRecord: Sendable, Equatable {
    /// When it finished.
    public var finished: PulpDateTime
    /// The git revision the manifests were read at, when they came from git.
    public var revision: String?
    /// The manifests' directory or repository (without credentials).
    public var source: String
    public var steps: Int
    public var failedSteps: Int
    public var seconds: Double

    public init(finished: PulpDateTime, revision: String?, source: String, steps: Int, failedSteps: Int, seconds: Double) {
        self.finished = finished
        self.revision = revision
        self.source = source
        self.steps = steps
        self.failedSteps = failedSteps
        self.seconds = seconds
    }

    public var json: JSONValue {
        ["finished": .string(finished.iso8601), "revision": .from(revision), "source": .string(source), "steps": .int(steps),
         "failed_steps": .int(failedSteps), "seconds": .double(seconds)]
    }

    public init?(json: JSONValue) {
        guard let f = json["finished"]?.stringValue, let finished = PulpDateTime.parse(f), let source = json["source"]?.stringValue,
              let steps = json["steps"]?.intValue, let failed = json["failed_steps"]?.intValue else { return nil }
        self.init(finished: finished, revision: json["revision"]?.stringValue, source: source, steps: steps, failedSteps: failed,
                  seconds: json["seconds"]?.numberValue ?? 0)
    }
}
