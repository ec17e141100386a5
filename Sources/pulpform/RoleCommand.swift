import ArgumentParser
import Foundation
import PulpCore
import PulpModel

/// `pulpform role …`: roles of the embedded store, their members and what they may do.
struct RoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "role",
        abstract: "Create, list and delete roles, and add or remove their members.",
        discussion: """
            A role's permissions count for its members while they are members. The built-in super-users \
            role may do everything and cannot be changed or deleted; its last member cannot leave it.

            Examples:
              pulpform role create publishers --description "publish any repository"
              pulpform permission grant --role publishers --resource /v2/repositories/ --operation READ --operation EXECUTE
              pulpform role add publishers ci-bot
              pulpform role list
            """,
        subcommands: [RoleCreateCommand.self, RoleListCommand.self, RoleDeleteCommand.self, RoleAddCommand.self, RoleRemoveCommand.self])
}

struct RoleCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a role.")

    @Argument(help: "The role id: letters, digits, '-' and '_'.") var roleId: String
    @Option(name: .long, help: "A display name (default: the id).") var displayName: String?
    @Option(name: .long, help: "What the role is for.") var description: String?
    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        try await reportingErrors {
            var body: JSONObject = ["role_id": .string(roleId)]
            if let displayName { body["display_name"] = .string(displayName) }
            if let description { body["description"] = .string(description) }
            _ = try await storeOptions.localPulp().createRole(body)
            printError("role \(roleId) created")
        }
    }
}

struct RoleListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list",
                                                    abstract: "List roles: id, members, and each resource with its operations.")

    @Option(name: .long, help: "text or json.") var format = "text"
    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        guard ["text", "json"].contains(format) else { throw ValidationError("--format must be text or json") }
    }

    func run() async throws {
        try await reportingErrors {
            let roles = try await storeOptions.localPulp(readOnly: true).roles()
            if format == "json" {
                print(JSONValue.array(roles.map(JSONValue.object)).serialized())
                return
            }
            for role in try roles.map(PulpRole.parse) {
                let grants = role.permissions.sorted { $0.key < $1.key }.map { "\($0.key)=" + $0.value.joined(separator: ",") }
                print("\(role.id)\t\(role.users.isEmpty ? "-" : role.users.joined(separator: ","))\t"
                      + (grants.isEmpty ? "-" : grants.joined(separator: " ")))
            }
        }
    }
}

struct RoleDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a role and its permissions.")

    @Argument(help: "The role id.") var roleId: String
    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        try await reportingErrors {
            try await storeOptions.localPulp().deleteRole(roleId)
            printError("role \(roleId) deleted")
        }
    }
}

/// A role and the logins to add to it or take out of it.
struct RoleMembers: ParsableArguments {
    @Argument(help: "The role id.") var roleId: String
    @Argument(help: "Logins.") var logins: [String]
    @OptionGroup var storeOptions: StoreOptions

    func change(add: Bool) async throws {
        let pulp = try storeOptions.localPulp()
        for login in logins {
            if add { try await pulp.addRoleMember(roleId, login: login, caller: nil) } else { try await pulp.removeRoleMember(roleId, login: login) }
        }
        printError("\(logins.joined(separator: ", ")) \(add ? "now" : "no longer") in \(roleId)")
    }
}

struct RoleAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Make users members of a role.")

    @OptionGroup var members: RoleMembers

    func run() async throws { try await reportingErrors { try await members.change(add: true) } }
}

struct RoleRemoveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Take users out of a role.")

    @OptionGroup var members: RoleMembers

    func run() async throws { try await reportingErrors { try await members.change(add: false) } }
}
