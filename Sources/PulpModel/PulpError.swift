/// A Pulp exception: the code, HTTP status, message and data of pulp2-compat.md §1a.
///
/// It knows how to render Pulp's error body (`body(href:method:)`) and the `error` dict used in
/// task reports (`errorDict`). Handlers and operations only `throw` it.
public struct PulpError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `PLP0009`, `PLP0015`, ...
    public var code: String
    public var httpStatus: Int
    /// `str(exc)`: both `error_message` and `error.description`.
    public var message: String
    /// `error.data`.
    public var data: JSONObject
    /// The class-specific top-level keys (`data_dict()`).
    public var extra: JSONObject
    public var subErrors: [PulpError]

    public init(code: String, httpStatus: Int, message: String, data: JSONObject = [:], extra: JSONObject = [:],
                subErrors: [PulpError] = [])
    {
        self.code = code
        self.httpStatus = httpStatus
        self.message = message
        self.data = data
        self.extra = extra
        self.subErrors = subErrors
    }

    public var description: String { "\(code): \(message)" }

    /// `exc.to_dict()`: the `error` key of an error body or a failed task report.
    public var errorDict: JSONValue {
        .object([
            "code": .string(code),
            "description": .string(message),
            "data": .object(data),
            "sub_errors": .array(subErrors.map(\.errorDict)),
        ])
    }

    /// The whole error body of `ExceptionHandlerMiddleware`.
    public func body(href: String, method: String) -> JSONObject {
        var body: JSONObject = [
            "_href": .string(href),
            "http_status": .int(httpStatus),
            "http_request_method": .string(method),
            "error_message": .string(message),
            "exception": .null,
            "traceback": .null,
        ]
        for (k, v) in extra { body[k] = v }
        body["error"] = errorDict
        return body
    }
}

// MARK: - The exception classes of pulp/server/exceptions.py

extension PulpError {
    /// Python's `str(list)` of strings: `['a', 'b']`.
    static func pythonList(_ names: [String]) -> String {
        "[" + names.map { "'\($0)'" }.joined(separator: ", ") + "]"
    }

    /// `MissingResource(**resources)` (404, PLP0009). Keys are listed in the given order.
    public static func missingResource(_ resources: KeyValuePairs<String, String>) -> PulpError {
        var dict = JSONObject()
        for (k, v) in resources { dict[k] = .string(v) }
        let text = resources.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        return PulpError(code: "PLP0009", httpStatus: 404, message: "Missing resource(s): \(text)",
                         data: ["resources": .object(dict)], extra: ["resources": .object(dict)])
    }

    /// `InvalidValue(names)` (400, PLP0015).
    public static func invalidValue(_ names: [String], subErrors: [PulpError] = []) -> PulpError {
        let list = pythonList(names)
        let arr = JSONValue.array(names.map(JSONValue.string))
        return PulpError(code: "PLP0015", httpStatus: 400, message: "Invalid properties: \(list)",
                         data: ["property_names": arr, "properties": .string(list)],
                         extra: ["property_names": arr], subErrors: subErrors)
    }

    /// `MissingValue(names)` (400, PLP0016).
    public static func missingValue(_ names: [String]) -> PulpError {
        let list = pythonList(names)
        let arr = JSONValue.array(names.map(JSONValue.string))
        return PulpError(code: "PLP0016", httpStatus: 400, message: "Missing values for: \(list)",
                         data: ["property_names": arr, "properties": .string(list)],
                         extra: ["missing_property_names": arr])
    }

    /// `UnsupportedValue(names)` (400, PLP0017).
    public static func unsupportedValue(_ names: [String]) -> PulpError {
        let list = pythonList(names)
        let arr = JSONValue.array(names.map(JSONValue.string))
        return PulpError(code: "PLP0017", httpStatus: 400, message: "Unsupported properties: \(list)",
                         data: ["property_names": arr, "properties": .string(list)],
                         extra: ["unsupported_property_names": arr])
    }

    /// `DuplicateResource(id)` (409, PLP0018).
    public static func duplicateResource(_ id: String) -> PulpError {
        PulpError(code: "PLP0018", httpStatus: 409, message: "Duplicate resource: \(id)",
                  data: ["resource_id": .string(id)], extra: ["resource_id": .string(id)])
    }

    /// `ConflictingOperation(reasons)` (409, PLP0010).
    public static func conflictingOperation(_ reasons: [JSONValue]) -> PulpError {
        PulpError(code: "PLP0010", httpStatus: 409,
                  message: "Conflicting operation reasons: \(JSONValue.array(reasons).serialized())",
                  data: ["reasons": .array(reasons)], extra: ["reasons": .array(reasons)])
    }

    /// `PulpDataException(msg)` (400, PLP0000).
    public static func dataException(_ message: String) -> PulpError {
        PulpError(code: "PLP0000", httpStatus: 400, message: message, data: [:],
                  extra: ["args": .array([.string(message)])])
    }

    /// A non-Pulp failure wrapped as `PulpException(str(exc))` (500, PLP0000).
    public static func wrapped(_ message: String) -> PulpError {
        PulpError(code: "PLP0000", httpStatus: 500, message: message, data: [:],
                  extra: ["args": .array([.string(message)])])
    }

    /// PLP1008: `The importer type %(importer_type_id)s does not exist` (400).
    public static func invalidImporterType(_ type: String) -> PulpError {
        PulpError(code: "PLP1008", httpStatus: 400, message: "The importer type \(type) does not exist",
                  data: ["importer_type_id": .string(type)], extra: ["args": []])
    }

    /// PLP1009: the request body is not JSON (400).
    public static func invalidJSON() -> PulpError {
        PulpError(code: "PLP1009", httpStatus: 400, message: "The request body does not contain valid JSON",
                  data: [:], extra: ["args": []])
    }

    /// PLP1010: `Provided value %(value)s for field %(field)s must be of type %(field_type)s.` (400).
    public static func invalidType(field: String, value: JSONValue, fieldType: String) -> PulpError {
        let shown: String
        if case .string(let s) = value { shown = s } else { shown = value.serialized() }
        return PulpError(code: "PLP1010", httpStatus: 400,
                         message: "Provided value \(shown) for field \(field) must be of type \(fieldType).",
                         data: ["value": value, "field": .string(field), "field_type": .string(fieldType)],
                         extra: ["args": []])
    }

    /// PLP1011: `Invalid task state passed to purge: %(state)s.` (400).
    public static func invalidPurgeState(_ state: String) -> PulpError {
        PulpError(code: "PLP1011", httpStatus: 400, message: "Invalid task state passed to purge: \(state).",
                  data: ["state": .string(state)], extra: ["args": []])
    }

    /// PLP1012: `No task state given to parameters list for delete.` (403).
    public static func noPurgeState() -> PulpError {
        PulpError(code: "PLP1012", httpStatus: 403, message: "No task state given to parameters list for delete.",
                  data: [:], extra: ["args": []])
    }

    /// PLP1015: `The JSON data must be of type '%(data_type)s'.` (400).
    public static func invalidJSONType(_ dataType: String) -> PulpError {
        PulpError(code: "PLP1015", httpStatus: 400, message: "The JSON data must be of type '\(dataType)'.",
                  data: ["data_type": .string(dataType)], extra: ["args": []])
    }

    /// PLP0034: a distributor reported a failed publish (500, carried in the task's `error`).
    public static func publishFailed(repoId: String, distributorId: String, summary: String) -> PulpError {
        PulpError(code: "PLP0034", httpStatus: 500,
                  message: "The distributor \(distributorId) indicated a failed response when publishing repository \(repoId).",
                  data: ["repo_id": .string(repoId), "distributor_id": .string(distributorId), "summary": .string(summary)],
                  extra: ["args": []])
    }

    /// PLP0044: a copy whose source holds a type the destination's importer does not support (400).
    public static func unsupportedCopyTypes(sourceRepoId: String, destRepoId: String) -> PulpError {
        PulpError(code: "PLP0044", httpStatus: 400, message: "The target importer does not support the types from the source",
                  data: ["source_repo_id": .string(sourceRepoId), "dest_repo_id": .string(destRepoId)], extra: ["args": []])
    }

    /// PLP0047: an importer reported a failed upload (500, carried in the task's `error`).
    public static func uploadFailed(repoId: String, importerId: String, unitType: String, summary: JSONValue,
                                    details: JSONValue) -> PulpError {
        PulpError(code: "PLP0047", httpStatus: 500,
                  message: "The importer \(importerId) indicated a failed response when uploading \(unitType) unit to repository \(repoId).",
                  data: ["repo_id": .string(repoId), "importer_id": .string(importerId), "unit_type": .string(unitType),
                         "summary": summary, "details": details],
                  extra: ["args": []])
    }

    /// PLP1013: an uploaded file whose checksum is not the one given (400).
    public static func checksumMismatch() -> PulpError {
        PulpError(code: "PLP1013", httpStatus: 400, message: "Checksum does not match calculated value.", data: [:], extra: ["args": []])
    }

    /// RPM1002 / RPM1003: a source package uploaded as `rpm`, or a binary one as `srpm` (400).
    public static func wrongPackageKind(uploadedAs typeId: String) -> PulpError {
        typeId == "rpm"
            ? PulpError(code: "RPM1002", httpStatus: 400, message: "Error uploading an RPM.  The specified file is a source rpm",
                        data: [:], extra: ["args": []])
            : PulpError(code: "RPM1003", httpStatus: 400, message: "Error uploading an SRPM.  The specified file is a binary rpm",
                        data: [:], extra: ["args": []])
    }
}
