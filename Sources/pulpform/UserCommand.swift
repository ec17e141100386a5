import ArgumentParser
import Foundation
import PulpAuth
import PulpCore
import PulpModel

/// `pulpform user …`: the users of the embedded store that `pulpform serve` authenticates.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Create, list, change and delete the users pulpform serve lets in.",
        discussion: """
            There is no default login: create the first super-user before serving. Passwords are read from a file \
            or standard input, or generated and printed once; never from the command line.

            Examples:
              pulpform user create admin --super-user --generate-password
              pulpform user create ci-bot                      # no password: API tokens only
              pulpform user passwd alice --password-file ./alice.pw
              printf '%s\\n' "$PW" | pulpform user passwd alice --password-stdin
              pulpform user list
            """,
        subcommands: [UserCreateCommand.self, UserListCommand.self, UserPasswdCommand.self, UserDisableCommand.self,
                      UserEnableCommand.self, UserDeleteCommand.self])
}

/// Where a new password comes from: generated, a file, or standard input. None of them puts it in argv.
struct PasswordSource: ParsableArguments {
    @Flag(name: .long, help: "Generate a strong password and print it once on standard output.") var generatePassword = false
    @Option(name: .long, help: ArgumentHelp("Read the password from the first line of this file.", valueName: "path"))
    var passwordFile: String?
    @Flag(name: .long, help: "Read the password from the first line of standard input.") var passwordStdin = false

    func validate() throws {
        if [generatePassword, passwordFile != nil, passwordStdin].filter({ $0 }).count > 1 {
            throw ValidationError("give at most one of --generate-password, --password-file and --password-stdin")
        }
    }

    var given: Bool { generatePassword || passwordFile != nil || passwordStdin }

    /// The password, and whether it was generated (then the caller prints it). Nil when none was asked for.
    func read() throws -> (password: String, generated: Bool)? {
        if generatePassword { return (Self.generate(), true) }
        let text: String
        if let passwordFile {
            guard let data = FileManager.default.contents(atPath: passwordFile) else {
                throw CLIError("cannot read the password file \(passwordFile)")
            }
            text = String(decoding: data, as: UTF8.self)
        } else if passwordStdin {
            text = readLine(strippingNewline: true) ?? ""
        } else {
            return nil
        }
        let line = String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
        guard line.count >= 12 else { throw CLIError("a password needs at least 12 characters") }
        return (line, false)
    }

    /// 24 characters of base64url from the system's CSPRNG (144 bits).
    static func generate() -> String { RandomSecret.base64URL(18) }
}

/// A command-line error: its message on stderr and exit 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension AsyncParsableCommand {
    /// Runs `body`, printing a Pulp error or a CLI error as `error: …` and exiting 1.
    func reportingErrors(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let e as ExitCode {
            throw e
        } catch let e as PulpError {
            printError("error: \(e.message)")
            throw ExitCode(1)
        } catch {
            printError("error: \(error)")
            throw ExitCode(1)
        }
    }
}

struct UserCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a user.")

    @Argument(help: "The login: letters, digits, '.', '-' and '_'.") var login: String
    @Option(name: .long, help: "The user's name (default: the login).") var name: String?
    @Flag(name: .long, help: "Make the user a member of super-users (every operation on every resource).") var superUser = false
    @OptionGroup var password: PasswordSource
    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        try await reportingErrors {
            let secret = try password.read()
            let pulp = try storeOptions.localPulp()
            _ = try await pulp.createUser(login: login, name: name, password: secret?.password, superUser: superUser)
            if let secret, secret.generated {
                print(secret.password)
                printError("user \(login) created\(superUser ? " (super-user)" : ""); the password above is shown only this once")
            } else {
                printError("user \(login) created\(superUser ? " (super-user)" : "")\(secret == nil ? " without a password (API tokens only)" : "")")
            }
        }
    }
}

struct UserListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the users: login, name, roles.")

    @Option(name: .long, help: "human or json.") var format: OutputFormat = .human
    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        try await reportingErrors {
            let pulp = try storeOptions.localPulp(readOnly: true)
            let users = try await pulp.users()
            if format == .json {
                print(JSONValue.array(users.map(JSONValue.object)).serialized())
                return
            }
            for u in try users.map(PulpUser.parse) {
                print("\(u.login)\t\(u.name)\t\(u.roles.isEmpty ? "-" : u.roles.joined(separator: ","))")
            }
        }
    }
}

struct UserPasswdCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "passwd", abstract: "Set (or, with --none, remove) a user's password.")

    @Argument(help: "The login.") var login: String
    @Flag(name: .long, help: "Remove the password: the user can then only use API tokens.") var none = false
    @OptionGroup var password: PasswordSource
    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if none == password.given { throw ValidationError("give one of --generate-password, --password-file, --password-stdin and --none") }
    }

    func run() async throws {
        try await reportingErrors {
            let secret = try password.read()
            let pulp = try storeOptions.localPulp()
            try await pulp.setPassword(login, secret?.password)
            if let secret, secret.generated { print(secret.password) }
            printError(secret == nil ? "user \(login) has no password now" : "password of \(login) changed")
        }
    }
}

struct UserDisableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "disable", abstract: "Stop a user from logging in (the last super-user cannot be).")

    @Argument(help: "The login.") var login: String
    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        try await reportingErrors {
            try await storeOptions.localPulp().setDisabled(login, true)
            printError("user \(login) disabled")
        }
    }
}

struct UserEnableCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enable", abstract: "Let a disabled user log in again.")

    @Argument(help: "The login.") var login: String
    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        try await reportingErrors {
            try await storeOptions.localPulp().setDisabled(login, false)
            printError("user \(login) enabled")
        }
    }
}

struct UserDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a user, their grants and tokens (the last super-user cannot be).")

    @Argument(help: "The login.") var login: String
    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        try await reportingErrors {
            try await storeOptions.localPulp().deleteUser(login)
            printError("user \(login) deleted")
        }
    }
}
