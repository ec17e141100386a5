import Foundation
import Synchronization

/// An ISO 8601 duration as `isodate.parse_duration` reads it: calendar years and months, plus a
/// fixed part in seconds (weeks, days, hours, minutes, seconds).
public struct ISODuration: Sendable, Hashable {
    /// Whole calendar months (years × 12 + months). Stepped by the calendar.
    public var months: Int
    /// The fixed part, in seconds.
    public var seconds: Double

    public init(months: Int = 0, seconds: Double = 0) {
        self.months = months
        self.seconds = seconds
    }

    public var isZero: Bool { months == 0 && seconds == 0 }
    public var hasCalendarPart: Bool { months != 0 }

    /// Parses `PnYnMnWnDTnHnMnS`; any component may be omitted, a trailing `T` is allowed
    /// (`P1DT`), and the fixed components may carry a fraction (`PT1.5S`, `P0,5D`).
    /// Years and months must be whole.
    public static func parse(_ text: String) -> ISODuration? {
        var s = Substring(text)
        guard s.first == "P" else { return nil }
        s = s.dropFirst()
        guard let first = s.first, first.isNumber || first == "T" else { return nil }
        var months = 0
        var seconds = 0.0
        var inTime = false
        // Order of designators that may appear, in each half.
        let dateOrder: [Character] = ["Y", "M", "W", "D"]
        let timeOrder: [Character] = ["H", "M", "S"]
        var lastRank = -1
        var number = ""
        var sawComponent = false
        for c in s {
            if c == "T" {
                guard !inTime, number.isEmpty else { return nil }
                inTime = true
                lastRank = -1
                continue
            }
            if c.isASCII, c.isNumber || c == "." || c == "," {
                number.append(c == "," ? "." : c)
                continue
            }
            let order = inTime ? timeOrder : dateOrder
            guard let rank = order.firstIndex(of: c), rank > lastRank, !number.isEmpty,
                  number.first != ".", number.last != ".", number.filter({ $0 == "." }).count <= 1,
                  let value = Double(number)
            else { return nil }
            lastRank = rank
            let isWhole = !number.contains(".")
            number = ""
            sawComponent = true
            switch (inTime, c) {
            case (false, "Y"):
                guard isWhole, let n = Int(exactly: value), n <= 100_000 else { return nil }
                months += n * 12
            case (false, "M"):
                guard isWhole, let n = Int(exactly: value), n <= 1_200_000 else { return nil }
                months += n
            case (false, "W"): seconds += value * 7 * 86400
            case (false, "D"): seconds += value * 86400
            case (true, "H"): seconds += value * 3600
            case (true, "M"): seconds += value * 60
            case (true, "S"): seconds += value
            default: return nil
            }
        }
        guard number.isEmpty, sawComponent || inTime, seconds.isFinite, seconds < 1e13 else { return nil }
        return ISODuration(months: months, seconds: seconds)
    }

    /// `start + k·self`, with the calendar part stepped as whole months from `start`
    /// (the day clamped to the month's length) and the fixed part added after.
    public func step(_ start: PulpDateTime, times k: Int) -> PulpDateTime {
        var result = start
        if months != 0 {
            let f = start.localFields
            let total = f.year * 12 + (f.month - 1) + months * k
            let year = Int((Double(total) / 12).rounded(.down))
            let month = total - year * 12 + 1
            result = PulpDateTime.fromLocal(year: year, month: month, day: f.day, secondOfDay: f.secondOfDay,
                                            offsetSeconds: start.offsetSeconds)
        }
        result.epoch += seconds * Double(k)
        return result
    }

    /// The largest `k >= 0` with `start + k·self <= now` (0 when `now` is before `start`).
    public func completedSteps(from start: PulpDateTime, to now: PulpDateTime) -> Int {
        guard now.epoch >= start.epoch else { return 0 }
        let elapsed = now.epoch - start.epoch
        // Estimate (with the mean month length for calendar parts), then correct for rounding.
        let approx = Double(months) * 2_629_746 + seconds
        guard approx > 0 else { return 0 }
        let estimate = (elapsed / approx).rounded(.down)
        var k = estimate < 9e18 ? max(0, Int(estimate)) : Int.max / 2
        while k > 0, step(start, times: k).epoch > now.epoch { k -= 1 }
        while step(start, times: k + 1).epoch <= now.epoch { k += 1 }
        return k
    }
}

/// A parsed Pulp schedule string (`dateutils.parse_iso8601_interval`): `R<n>`, a start datetime
/// and a duration, in any order, separated by `/` or `--`.
public struct ISOInterval: Sendable, Hashable {
    public var duration: ISODuration
    public var start: PulpDateTime?
    public var recurrences: Int?
    public var text: String

    /// Why a schedule string was rejected.
    public enum ParseError: Error, Equatable, Sendable {
        case invalid(String)
    }

    public static func parse(_ text: String) throws(ParseError) -> ISOInterval {
        // An estate repeats a few schedule strings thousands of times.
        if let known = parsed.withLock({ $0[text] }) { return known }
        let interval = try parseText(text)
        parsed.withLock { cache in
            if cache.count >= 4_096 { cache.removeAll() }
            cache[text] = interval
        }
        return interval
    }

    private static let parsed = Mutex<[String: ISOInterval]>([:])

    static func parseText(_ text: String) throws(ParseError) -> ISOInterval {
        var duration: ISODuration?
        var start: PulpDateTime?
        var recurrences: Int?
        for part in splitParts(text) where !part.isEmpty {
            if part.hasPrefix("R") {
                guard recurrences == nil else { throw .invalid("more than one recurrence in \(text)") }
                let digits = part.dropFirst()
                guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(digits) else {
                    throw .invalid("invalid recurrence \(part)")
                }
                guard n > 0 else { throw .invalid("the recurrence count must be positive: \(part)") }
                recurrences = n
            } else if part.hasPrefix("P") {
                guard duration == nil else { throw .invalid("more than one duration in \(text)") }
                guard let d = ISODuration.parse(part) else { throw .invalid("invalid duration \(part)") }
                duration = d
            } else {
                guard start == nil else { throw .invalid("more than one start time in \(text)") }
                guard let dt = PulpDateTime.parse(part) else { throw .invalid("invalid datetime \(part)") }
                start = dt
            }
        }
        guard let duration else { throw .invalid("Interval string must contain a duration: \(text)") }
        if duration.hasCalendarPart, start == nil {
            throw .invalid("Intervals with year and month values are not valid without a start time")
        }
        // 2.8 accepts these and then divides by zero; a compatible server rejects them. Sub-second
        // intervals are rejected too: no scheduler fires that often.
        guard !duration.isZero, duration.seconds >= 0, duration.months >= 0 else {
            throw .invalid("the interval must be longer than zero: \(text)")
        }
        guard duration.months > 0 || duration.seconds >= 1 else {
            throw .invalid("the interval must be at least one second: \(text)")
        }
        return ISOInterval(duration: duration, start: start, recurrences: recurrences, text: text)
    }

    /// Splits on `/` and on `--`.
    static func splitParts(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var it = Array(text)
        var i = 0
        while i < it.count {
            if it[i] == "/" {
                parts.append(current); current = ""
                i += 1
            } else if it[i] == "-", i + 1 < it.count, it[i + 1] == "-" {
                parts.append(current); current = ""
                i += 2
            } else {
                current.append(it[i])
                i += 1
            }
        }
        parts.append(current)
        it.removeAll()
        return parts
    }

    /// Whether a JSON value is an acceptable schedule (`_is_valid_schedule`).
    public static func isValid(_ value: JSONValue?) -> Bool {
        guard case .string(let s)? = value else { return false }
        return (try? parse(s)) != nil
    }
}
