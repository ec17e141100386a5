import Testing
@testable import PulpModel

/// The vectors of pulp2-compat.md §1c.
@Suite("ISO 8601 intervals")
struct ISOIntervalTests {
    static let valid = [
        "PT1H", "PT30S", "P1D", "P1DT", "P1W", "R5/PT1H", "R1/P1DT", "2014-01-01T00:00:00Z/P1D",
        "R5/2014-01-01T00:00:00Z/P1D", "2014-01-01T00:00:00Z/P1M", "2014-01-01T00:00:00+02:00/PT1H", "PT1H/R3",
        "P1D/2014-01-01T00:00:00Z", "2014-01-01T00:00:00Z--P1D",
    ]
    static let invalid = [
        "P1M", "P1Y", "R0/PT1H", "00:00:00Z/P1DT", "R2/R3/PT1H", "2014-01-01T00:00:00Z", "", "garbage",
        "PT0S", "P0D", "PT", "P", "R/PT1H", "R-1/PT1H", "PT1H/PT2H", "2014-01-01T00:00:00Z/2015-01-01T00:00:00Z/P1D",
        "P1.5M/2014-01-01T00:00:00Z", "PT0.0000000001S", "PT0.5S", "2014-13-01T00:00:00Z/P1D", "2014-02-30T00:00:00Z/P1D", "P1H", "PT1D",
    ]

    @Test("accepts every valid form", arguments: valid)
    func acceptsValid(_ text: String) throws {
        let i = try ISOInterval.parse(text)
        #expect(i.text == text)
        #expect(ISOInterval.isValid(.string(text)))
    }

    @Test("rejects every invalid form", arguments: invalid)
    func rejectsInvalid(_ text: String) {
        #expect(throws: ISOInterval.ParseError.self) { try ISOInterval.parse(text) }
        #expect(!ISOInterval.isValid(.string(text)))
    }

    @Test("null and non-strings are not schedules")
    func nonStrings() {
        #expect(!ISOInterval.isValid(nil))
        #expect(!ISOInterval.isValid(.null))
        #expect(!ISOInterval.isValid(.int(3600)))
        #expect(!ISOInterval.isValid(["PT1H"]))
    }

    @Test("parts are read as Pulp reads them")
    func parts() throws {
        let a = try ISOInterval.parse("R5/2014-01-01T00:00:00Z/P1D")
        #expect(a.recurrences == 5)
        #expect(a.start?.iso8601 == "2014-01-01T00:00:00Z")
        #expect(a.duration == ISODuration(months: 0, seconds: 86400))

        #expect(try ISOInterval.parse("P1DT").duration.seconds == 86400)
        #expect(try ISOInterval.parse("P1W").duration.seconds == 7 * 86400)
        #expect(try ISOInterval.parse("PT1H/R3").recurrences == 3)
        #expect(ISODuration.parse("P1Y2M3DT4H5M6S") == ISODuration(months: 14, seconds: 3 * 86400 + 4 * 3600 + 5 * 60 + 6))
        #expect(try ISOInterval.parse("PT1.5S").duration.seconds == 1.5)

        // The known XXX: a datetime after the duration is still the start.
        let b = try ISOInterval.parse("P1D/2014-01-01T00:00:00Z")
        #expect(b.start?.iso8601 == "2014-01-01T00:00:00Z")
        #expect(b.recurrences == nil)

        // The offset of the start is kept.
        let c = try ISOInterval.parse("2014-01-01T00:00:00+02:00/PT1H")
        #expect(c.start?.iso8601 == "2014-01-01T00:00:00+02:00")
        #expect(c.start?.utc.iso8601 == "2013-12-31T22:00:00Z")
    }

    @Test("iso8601 formats zero-padded fields and zones, and parses back to the same instant")
    func iso8601Formatting() {
        #expect(PulpDateTime(epoch: 0).iso8601 == "1970-01-01T00:00:00Z")
        #expect(PulpDateTime(epoch: -1).iso8601 == "1969-12-31T23:59:59Z")
        #expect(PulpDateTime(epoch: 1_390_858_910, offsetSeconds: -5 * 3600 - 30 * 60).iso8601 == "2014-01-27T16:11:50-05:30")
        #expect(PulpDateTime(epoch: -62_135_596_800).iso8601 == "0001-01-01T00:00:00Z")
        #expect(PulpDateTime(epoch: 253_402_300_799).iso8601 == "9999-12-31T23:59:59Z")
        // Every hour of a leap day, and a spread of instants and offsets, round-trip.
        for epoch in stride(from: 951_782_400.0, to: 951_868_800, by: 3_599) {
            for offset in [0, 3_600, -7_200, 19_800, -34_200] {
                let t = PulpDateTime(epoch: epoch, offsetSeconds: offset)
                #expect(PulpDateTime.parse(t.iso8601)?.epoch == epoch, "\(t.iso8601)")
            }
        }
    }

    @Test("datetimes: extended, basic, naive, fractions and zones")
    func datetimes() {
        #expect(PulpDateTime.parse("2014-01-27T21:41:50Z")?.epoch == 1_390_858_910)
        #expect(PulpDateTime.parse("20140127T214150Z")?.epoch == 1_390_858_910)
        #expect(PulpDateTime.parse("2014-01-27T21:41:50")?.epoch == 1_390_858_910, "naive is UTC")
        #expect(PulpDateTime.parse("2014-01-27T23:41:50+0200")?.epoch == 1_390_858_910)
        #expect(PulpDateTime.parse("2014-01-27T16:41:50-05")?.epoch == 1_390_858_910)
        #expect(PulpDateTime.parse("2014-01-27T21:41:50.75Z")?.epoch == 1_390_858_910.75)
        #expect(PulpDateTime.parse("2014-01-27T21:41:50.75Z")?.iso8601 == "2014-01-27T21:41:50Z", "no fraction shown")
        #expect(PulpDateTime.parse("00:00:00Z") == nil)
        #expect(PulpDateTime.parse("2014-01-27") == nil)
        #expect(PulpDateTime.parse("2014-01-27T25:00:00Z") == nil)
        #expect(PulpDateTime.parse("1970-01-01T00:00:00Z")?.epoch == 0)
        #expect(PulpDateTime(epoch: -1).iso8601 == "1969-12-31T23:59:59Z")
        #expect(PulpDateTime.parse("2000-02-29T12:00:00Z")?.iso8601 == "2000-02-29T12:00:00Z")
        #expect(PulpDateTime.parse("1900-02-29T12:00:00Z") == nil)
    }
}
