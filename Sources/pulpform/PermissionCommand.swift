import ArgumentParser
import Foundation
import PulpCore
import PulpModel

/// `pulpform permission grant|revoke|list`: operations on a resource path, for a user or a role.
struct PermissionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "permission",
        abstract: "Grant and revoke operations on resource paths, to users or roles.",
        discussion: """
            A grant of an operation (CREATE, READ, UPDATE, DELETE, EXECUTE) on a path such as \
            /v2/repositories/ covers that path and everything below it. /pulp/api is dropped and a trailing \
            slash added, as the API does.

            Examples:
              pulpform permission grant --user alice --resource /v2/repositories/zoo/ --operation READ
              pulpform permission revoke --role publishers --resource /v2/repositories/ --operation EXECUTE
              pulpform permission list --resource /v2/repositories/
            """,
        subcommands: [PermissionGrantCommand.self, PermissionRevokeCommand.self, PermissionListCommand.self])
}

/// Who and what a grant or revocation is about.
struct PermissionChange: ParsableArguments {
    @Option(name: .long, help: "A user's login.") var user: String?
    @Option(name: .long, help: "A role id.") var role: String?
    @Option(name: .long, help: ArgumentHelp("The resource path, e.g. /v2/repositories/.", valueName: "path")) var resource: String
    @Option(name: .long, help: ArgumentHelp("An operation (repeatable): CREATE, READ, UPDATE, DELETE or EXECUTE.", valueName: "op"))
    var operation: [String] = []
    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        guard (user == nil) != (role == nil) else { throw ValidationError("give one of --user and --role") }
        guard !operation.isEmpty else { throw ValidationError("give at least one --operation") }
    }

    /// Grants (or revokes) the operations, as the API's permission actions do.
    func apply(grant: Bool) async throws {
        var body: JSONObject = ["resource": .string(resource), "operations": .array(operation.map(JSONValue.string))]
        if let user { body["login"] = .string(user) }
        if let role { body["role_id"] = .string(role) }
        try await storeOptions.localPulp().changePermission(body, toRole: role != nil, grant: grant, caller: nil)
        printError(grant ? "granted" : "revoked")
    }
}

struct PermissionGrantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "grant", abstract: "Grant operations on a resource path.")

    @OptionGroup var change: PermissionChange

    func run() async throws { try await reportingErrors { try await change.apply(grant: true) } }
}

struct PermissionRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke operations on a resource path.")

    @OptionGroup var change: PermissionChange

    func run() async throws { try await reportingErrors { try await change.apply(grant: false) } }
}

struct PermissionListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list",
                                                    abstract: "Who may do what on each resource (roles' grants included).")

    @Option(name: .long, help: ArgumentHelp("Only this resource path.", valueName: "path")) var resource: String?
    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        try await reportingErrors {
            let pulp = try storeOptions.localPulp(readOnly: true)
            try await pulp.reloadAccess()
            for doc in pulp.permissions(resource: resource) {
                for (login, ops) in (doc["users"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
                    print("\(doc["resource"]?.stringValue ?? "")\t\(login)\t" + (ops.arrayValue?.compactMap(\.stringValue).joined(separator: ",") ?? ""))
                }
            }
        }
    }
}
