import ArgumentParser
import Foundation
import PulpCore
import PulpModel
import PulpStore

/// `pulpform token …`: API tokens, the credential for CI systems: sent as the Basic password with the login.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke API tokens.",
        discussion: """
            A token is sent as the password of HTTP Basic authentication, with its user's login, so any Pulp \
            client can use one unchanged. It is printed once, when it is made; pulpform keeps only its SHA-256.

            Examples:
              pulpform token create ci-bot --note "release pipeline" --expires-in-days 90
              pulpform token list ci-bot
              pulpform token revoke 0d6b…
            """,
        subcommands: [TokenCreateCommand.self, TokenListCommand.self, TokenRevokeCommand.self])
}

struct TokenCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Make a token for a user and print it once.")

    @Argument(help: "The user's login.") var login: String
    @Option(name: .long, help: "What the token is for (shown by list).") var note: String?
    @Option(name: .long, help: "Days until the token expires (default: never).") var expiresInDays: Int?
    @OptionGroup var storeOptions: StoreOptions

    func validate() throws {
        if let d = expiresInDays, d < 1 { throw ValidationError("--expires-in-days must be at least 1") }
    }

    func run() async throws {
        try await reportingErrors {
            let pulp = try storeOptions.localPulp()
            let expires = expiresInDays.map { Date().timeIntervalSince1970 + Double($0) * 86_400 }
            let (id, token) = try await pulp.createToken(login: login, note: note, expires: expires)
            print(token)
            printError("token \(id) created for \(login); it is shown only this once")
        }
    }
}

struct TokenListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens: id, login, state, expiry, note (never the token).")

    @Argument(help: "Only this user's tokens.") var login: String?
    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        try await reportingErrors {
            let pulp = try storeOptions.localPulp(readOnly: true)
            let now = Date().timeIntervalSince1970
            for t in try await pulp.tokens(login: login) {
                let state = t.revoked != nil ? "revoked" : (t.expires.map { $0 <= now } == true ? "expired" : "active")
                let expires = t.expires.map { PulpDateTime(epoch: $0).iso8601 } ?? "never"
                print("\(t.tokenId)\t\(t.login)\t\(state)\t\(expires)\t\(t.note ?? "")")
            }
        }
    }
}

struct TokenRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by its id.")

    @Argument(help: "The token's id (from list).") var id: String
    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        try await reportingErrors {
            try await storeOptions.localPulp().revokeToken(id)
            printError("token \(id) revoked")
        }
    }
}
