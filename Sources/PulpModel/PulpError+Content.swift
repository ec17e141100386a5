/// The content plugins' error codes (pulp_rpm's `error_codes.py`), carried in a failed task's `error`.
extension PulpError {
    /// RPM1004: the feed's metadata cannot be fetched (unreachable, or no repomd.xml).
    public static func metadataUnavailable(_ reason: String) -> PulpError {
        PulpError(code: "RPM1004", httpStatus: 500, message: "Error retrieving metadata: \(reason)",
                  data: ["reason": .string(reason)], extra: ["args": []])
    }

    /// RPM1005: a sync of a repository whose importer has no feed.
    public static func noFeed() -> PulpError {
        PulpError(code: "RPM1005", httpStatus: 500, message: "Unable to sync a repository that has no feed.", extra: ["args": []])
    }

    /// RPM1006: the feed's metadata cannot be parsed (or does not match its repomd checksums).
    public static func unparsableMetadata(_ detail: String) -> PulpError {
        PulpError(code: "RPM1006", httpStatus: 500, message: "Could not parse repository metadata",
                  data: ["details": .string(detail)], extra: ["args": []])
    }

    /// PLP0000 with the importer's configuration errors, one per line, as `validate_config` joins them.
    public static func importerConfiguration(_ messages: [String]) -> PulpError {
        PulpError(code: "PLP0000", httpStatus: 400, message: "Configuration errors:\n" + messages.joined(separator: "\n"),
                  extra: ["args": []])
    }
}
