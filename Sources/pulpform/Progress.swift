import Foundation
import Reconciler
import Synchronization

/// Apply progress on stderr: a live status line on a terminal, one plain line per step otherwise.
final class ApplyProgress: Sendable {
    private struct State {
        var done = 0
        var running: [String] = []
    }

    private let state = Mutex(State())
    private let total: Int
    private let live: Bool

    init(total: Int, live: Bool) {
        self.total = total
        self.live = live
    }

    func handle(_ event: ApplyEvent) {
        switch event {
        case .started(let step):
            guard live else { return }
            let line = state.withLock { s -> String in
                s.running.append(step.address)
                return status(s)
            }
            write("\r\u{1B}[K" + line)
        case .ended(let result):
            let (line, visible) = state.withLock { s -> (String, Bool) in
                s.done += 1
                if let i = s.running.firstIndex(of: result.step.address) { s.running.remove(at: i) }
                return (status(s), result.step.action != nil || result.state != .finished)
            }
            if live {
                // Finished steps only move the status line; failures and skips get a line of their own.
                if result.state != .finished { write("\r\u{1B}[K" + PlanRenderer.line(result) + "\n") }
                write("\r\u{1B}[K" + line)
            } else if visible {
                write(PlanRenderer.line(result) + "\n")
            }
        case .endedTogether(let results):
            let line = state.withLock { s -> String in
                s.done += results.count
                return status(s)
            }
            // One write for the whole batch.
            var text = ""
            for result in results where live ? result.state != .finished : (result.step.action != nil || result.state != .finished) {
                text += (live ? "\r\u{1B}[K" : "") + PlanRenderer.line(result) + "\n"
            }
            if live { text += "\r\u{1B}[K" + line }
            if !text.isEmpty { write(text) }
        }
    }

    func finish() {
        if live { write("\r\u{1B}[K") }
    }

    private func status(_ s: State) -> String {
        let now = s.running.last.map { " — \($0)" } ?? ""
        return "[\(s.done)/\(total)] applying\(now)"
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
