import Foundation

/// When the controller runs next: every `interval` while runs succeed; after consecutive failures, the interval
/// doubled per failure up to `maximum` (Argo CD's and Flux's retry backoff). A pure value: the loop asks it.
public struct Backoff: Sendable, Equatable {
    public var interval: Duration
    public var maximum: Duration
    /// Failed runs in a row.
    public private(set) var failures = 0

    public init(interval: Duration, maximum: Duration) {
        self.interval = interval
        self.maximum = max(maximum, interval)
    }

    /// The wait before the next run.
    public var delay: Duration {
        guard failures > 0 else { return interval }
        var d = interval
        for _ in 0..<min(failures, 62) {
            d = d * 2
            if d >= maximum { return maximum }
        }
        return d
    }

    /// Records a run that failed; returns the wait before the next.
    @discardableResult
    public mutating func failed() -> Duration {
        failures += 1
        return delay
    }

    /// Records a run that succeeded (or had nothing to do): the next waits one interval.
    public mutating func succeeded() { failures = 0 }
}

/// Durations as operators write them on the command line: `500ms`, `30s`, `5m`, `1h`, `1h30m`, or a number of
/// seconds (`90`, `0.5`).
public enum DurationText {
    public static func parse(_ text: String) -> Duration? {
        let s = text.trimmingCharacters(in: .whitespaces)
        guard !s.isEmpty else { return nil }
        if let seconds = Double(s) { return seconds >= 0 && seconds.isFinite ? .milliseconds(Int64((seconds * 1000).rounded())) : nil }
        var total: Duration = .zero
        var number = ""
        var unit = ""
        func flush() -> Bool {
            guard let n = Double(number), n >= 0, n.isFinite else { return false }
            let ms: Double
            switch unit {
            case "ms": ms = n
            case "s": ms = n * 1000
            case "m": ms = n * 60_000
            case "h": ms = n * 3_600_000
            default: return false
            }
            total += .milliseconds(Int64(ms.rounded()))
            number = ""
            unit = ""
            return true
        }
        for c in s {
            if c.isNumber || c == "." {
                if !unit.isEmpty { guard flush() else { return nil } }
                number.append(c)
            } else if c.isLetter {
                guard !number.isEmpty else { return nil }
                unit.append(c)
            } else {
                return nil
            }
        }
        guard flush() else { return nil }
        return total
    }

    /// `1.5 s`, `2 min`, `500 ms`: for messages.
    public static func describe(_ d: Duration) -> String {
        let ms = d.inSeconds * 1000
        if ms < 1000 { return "\(Int(ms.rounded())) ms" }
        let s = ms / 1000
        if s < 120 { return s == s.rounded() ? "\(Int(s)) s" : String(format: "%.1f s", s) }
        let m = s / 60
        return m == m.rounded() ? "\(Int(m)) min" : String(format: "%.1f min", m)
    }
}

extension Duration {
    /// The duration as a number of seconds.
    public var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
