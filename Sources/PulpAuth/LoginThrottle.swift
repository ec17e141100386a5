/// Failed logins slowed down, never locked out (pulp2-auth.md §5.3; Pulp 2.8 has nothing of the kind). A pure
/// state machine: the caller passes the time and keeps it behind a lock.
/// - A client address and login: after 5 failures in a row, refused for 2^(n−5) s after the n-th (at most 15
///   minutes); a success clears them.
/// - A client address: more than 30 failures within 10 minutes, whatever the logins, refuse its password logins
///   until those 10 minutes are over.
/// - A login: more than 100 failures within an hour, from anywhere, is reported (for a warning), not refused.
/// While refused, the caller answers 429 with `Retry-After` and does not hash the password.
public struct LoginThrottle: Sendable {
    public static let freeFailures = 5
    public static let maximumDelay: Double = 15 * 60
    public static let addressWindow: Double = 10 * 60
    public static let addressLimit = 30
    public static let loginWindow: Double = 60 * 60
    public static let loginWarning = 100

    /// At most this many entries of each kind are kept; the stalest go first.
    public let capacity: Int

    private struct Streak {
        var failures: Int
        var until: Double
        var last: Double
    }

    private struct Window {
        var start: Double
        var failures: Int
    }

    private var streaks: [String: Streak] = [:]
    private var addresses: [String: Window] = [:]
    private var logins: [String: Window] = [:]

    public init(capacity: Int = 100_000) {
        self.capacity = max(1, capacity)
    }

    /// Seconds until `address` may try `login` again; nil when it may now.
    public func retryAfter(address: String, login: String, now: Double) -> Double? {
        var wait: Double = 0
        if let s = streaks[Self.key(address, login)], s.until > now { wait = s.until - now }
        if let w = addresses[address], w.failures > Self.addressLimit, now < w.start + Self.addressWindow {
            wait = max(wait, w.start + Self.addressWindow - now)
        }
        return wait > 0 ? wait : nil
    }

    /// Records a failed login. Returns true when the login has passed the hourly warning threshold with this one.
    @discardableResult
    public mutating func failed(address: String, login: String, now: Double) -> Bool {
        let key = Self.key(address, login)
        var s = streaks[key] ?? Streak(failures: 0, until: 0, last: now)
        s.failures += 1
        s.last = now
        if s.failures >= Self.freeFailures {
            s.until = now + min(Self.maximumDelay, Double(1 << min(s.failures - Self.freeFailures, 20)))
        }
        streaks[key] = s
        Self.count(&addresses, address, now: now, window: Self.addressWindow)
        let n = Self.count(&logins, login, now: now, window: Self.loginWindow)
        trim(now: now)
        return n == Self.loginWarning + 1
    }

    /// A successful login clears the address and login's streak (not the address's window: a client that
    /// guesses many logins is not pardoned by knowing one).
    public mutating func succeeded(address: String, login: String) {
        streaks[Self.key(address, login)] = nil
    }

    public var entries: Int { streaks.count + addresses.count + logins.count }

    @discardableResult
    private static func count(_ windows: inout [String: Window], _ key: String, now: Double, window: Double) -> Int {
        var w = windows[key] ?? Window(start: now, failures: 0)
        if now >= w.start + window { w = Window(start: now, failures: 0) }
        w.failures += 1
        windows[key] = w
        return w.failures
    }

    /// Keeps each table within `capacity`: entries that no longer refuse anything go first, then the oldest.
    private mutating func trim(now: Double) {
        if streaks.count > capacity {
            streaks = streaks.filter { $0.value.until > now || now - $0.value.last < Self.maximumDelay }
            if streaks.count > capacity {
                let keep = streaks.sorted { $0.value.last > $1.value.last }.prefix(capacity / 2)
                streaks = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
            }
        }
        Self.trim(&addresses, window: Self.addressWindow, capacity: capacity, now: now)
        Self.trim(&logins, window: Self.loginWindow, capacity: capacity, now: now)
    }

    private static func trim(_ table: inout [String: Window], window: Double, capacity: Int, now: Double) {
        guard table.count > capacity else { return }
        table = table.filter { now < $0.value.start + window }
        if table.count > capacity {
            let keep = table.sorted { $0.value.start > $1.value.start }.prefix(capacity / 2)
            table = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }

    private static func key(_ address: String, _ login: String) -> String { address + "\u{0}" + login }
}
