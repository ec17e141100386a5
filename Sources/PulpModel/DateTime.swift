public import Foundation

/// An instant with the fixed UTC offset it was written with.
///
/// Pulp renders datetimes as `YYYY-MM-DDTHH:MM:SSZ` with no fraction; a schedule's `first_run`
/// keeps the offset of the start the user gave (`+02:00`). Naive datetimes are taken as UTC.
public struct PulpDateTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var epoch: Double
    /// The offset used for display, in seconds east of UTC.
    public var offsetSeconds: Int

    public init(epoch: Double, offsetSeconds: Int = 0) {
        self.epoch = epoch
        self.offsetSeconds = offsetSeconds
    }

    public init(_ date: Date) { self.init(epoch: date.timeIntervalSince1970) }

    public static func < (a: PulpDateTime, b: PulpDateTime) -> Bool { a.epoch < b.epoch }
    public static func == (a: PulpDateTime, b: PulpDateTime) -> Bool { a.epoch == b.epoch }
    public func hash(into h: inout Hasher) { h.combine(epoch) }

    public var date: Date { Date(timeIntervalSince1970: epoch) }

    /// The same instant shown in UTC.
    public var utc: PulpDateTime { PulpDateTime(epoch: epoch, offsetSeconds: 0) }

    /// `2014-01-27T21:41:50Z`, or `2014-01-01T00:00:00+02:00` when the offset is not zero.
    public var iso8601: String {
        let local = Int(epoch.rounded(.down)) + offsetSeconds
        let days = Int((Double(local) / 86400).rounded(.down))
        let secs = local - days * 86400
        let (y, m, d) = Civil.fromDays(days)
        // Digits by hand: this runs for every schedule stored or served, and String(format:) costs microseconds.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(25)
        func digits(_ value: Int, _ width: Int) {
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            let text = String(abs(value)).utf8
            for _ in text.count..<max(width, text.count) { bytes.append(UInt8(ascii: "0")) }
            bytes += text
        }
        digits(y, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(m, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(d, 2)
        bytes.append(UInt8(ascii: "T"))
        digits(secs / 3600, 2)
        bytes.append(UInt8(ascii: ":"))
        digits((secs / 60) % 60, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(secs % 60, 2)
        if offsetSeconds == 0 {
            bytes.append(UInt8(ascii: "Z"))
        } else {
            let a = abs(offsetSeconds)
            bytes.append(UInt8(ascii: offsetSeconds < 0 ? "-" : "+"))
            digits(a / 3600, 2)
            bytes.append(UInt8(ascii: ":"))
            digits((a / 60) % 60, 2)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public var description: String { iso8601 }

    /// Local calendar fields in this value's offset.
    var localFields: (year: Int, month: Int, day: Int, secondOfDay: Double) {
        let local = epoch + Double(offsetSeconds)
        let days = Int((local / 86400).rounded(.down))
        let (y, m, d) = Civil.fromDays(days)
        return (y, m, d, local - Double(days) * 86400)
    }

    /// Builds an instant from local fields in the given offset; the day is clamped to the month.
    static func fromLocal(year: Int, month: Int, day: Int, secondOfDay: Double, offsetSeconds: Int) -> PulpDateTime {
        let d = min(day, Civil.daysInMonth(year: year, month: month))
        let days = Civil.toDays(year: year, month: month, day: d)
        return PulpDateTime(epoch: Double(days) * 86400 + secondOfDay - Double(offsetSeconds), offsetSeconds: offsetSeconds)
    }

    /// Parses an ISO 8601 datetime the way `isodate.parse_datetime` does: a date, a `T`, and a time,
    /// in extended (`2014-01-01T00:00:00Z`) or basic (`20140101T000000Z`) form, with an optional
    /// fraction and zone (`Z`, `±HH:MM`, `±HHMM`, `±HH`). A missing zone means UTC.
    public static func parse(_ text: String) -> PulpDateTime? {
        let parts = text.split(separator: "T", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        guard let (y, m, d) = parseDate(Substring(parts[0])) else { return nil }
        guard let (secondOfDay, offset) = parseTime(Substring(parts[1])) else { return nil }
        return fromLocal(year: y, month: m, day: d, secondOfDay: secondOfDay, offsetSeconds: offset)
    }

    private static func digits(_ s: Substring) -> Int? {
        guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(s)
    }

    private static func parseDate(_ s: Substring) -> (Int, Int, Int)? {
        let y: Int?, m: Int?, d: Int?
        if s.count == 10, s[s.index(s.startIndex, offsetBy: 4)] == "-", s[s.index(s.startIndex, offsetBy: 7)] == "-" {
            y = digits(s.prefix(4))
            m = digits(s.dropFirst(5).prefix(2))
            d = digits(s.dropFirst(8).prefix(2))
        } else if s.count == 8 {
            y = digits(s.prefix(4))
            m = digits(s.dropFirst(4).prefix(2))
            d = digits(s.dropFirst(6).prefix(2))
        } else {
            return nil
        }
        guard let y, let m, let d, (1...12).contains(m), d >= 1, d <= Civil.daysInMonth(year: y, month: m), y >= 1 else {
            return nil
        }
        return (y, m, d)
    }

    private static func parseTime(_ s: Substring) -> (Double, Int)? {
        // Split off the zone.
        var body = s
        var offset = 0
        if body.hasSuffix("Z") {
            body = body.dropLast()
        } else if let signIndex = body.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            let zone = body[body.index(after: signIndex)...]
            let sign = body[signIndex] == "-" ? -1 : 1
            let zh: Int?, zm: Int?
            if zone.count == 5, zone[zone.index(zone.startIndex, offsetBy: 2)] == ":" {
                zh = digits(zone.prefix(2)); zm = digits(zone.suffix(2))
            } else if zone.count == 4 {
                zh = digits(zone.prefix(2)); zm = digits(zone.suffix(2))
            } else if zone.count == 2 {
                zh = digits(zone); zm = 0
            } else {
                return nil
            }
            guard let zh, let zm, zh <= 23, zm <= 59 else { return nil }
            offset = sign * (zh * 3600 + zm * 60)
            body = body[..<signIndex]
        }
        // Split off a fraction.
        var fraction = 0.0
        if let dot = body.firstIndex(where: { $0 == "." || $0 == "," }) {
            let frac = body[body.index(after: dot)...]
            guard digits(frac) != nil, let f = Double("0." + frac) else { return nil }
            fraction = f
            body = body[..<dot]
        }
        let h: Int?, mi: Int?, se: Int?
        let parts = body.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count > 1 {
            guard parts.allSatisfy({ $0.count == 2 }), parts.count <= 3 else { return nil }
            h = digits(parts[0]); mi = digits(parts[1]); se = parts.count == 3 ? digits(parts[2]) : 0
        } else {
            switch body.count {
            case 6: h = digits(body.prefix(2)); mi = digits(body.dropFirst(2).prefix(2)); se = digits(body.suffix(2))
            case 4: h = digits(body.prefix(2)); mi = digits(body.suffix(2)); se = 0
            case 2: h = digits(body); mi = 0; se = 0
            default: return nil
            }
        }
        guard let h, let mi, let se, h <= 23, mi <= 59, se <= 59 else { return nil }
        return (Double(h * 3600 + mi * 60 + se) + fraction, offset)
    }
}

/// Proleptic Gregorian calendar arithmetic (Howard Hinnant's days-from-civil).
enum Civil {
    static func toDays(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func fromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
