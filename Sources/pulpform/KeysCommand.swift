import ArgumentParser
import Foundation
import PulpStore

/// `pulpform keys …`: the key file of the embedded store's importer secrets.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "List and rotate the keys of the store's importer secrets.",
        discussion: """
            Importer secrets (proxy_password, basic_auth_password, ssl_client_key and every key the plugin \
            catalog marks secret) are stored encrypted with AES-256-GCM under the key file (--key-file, by \
            default <store>.key beside the store), made with mode 0600 when the first secret is stored. Line 1 \
            encrypts; every line decrypts. A store without its key file cannot decrypt its secrets: back the key \
            file up, apart from the store's backups.

            Examples:
              pulpform keys list
              pulpform keys rotate
              pulpform keys rotate --remove-old
            """,
        subcommands: [KeysListCommand.self, KeysRotateCommand.self])
}

struct KeysListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list",
                                                    abstract: "List the key file's keys (id, role, secrets sealed with it); never a key.")

    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        try await reportingErrors {
            let store = try storeOptions.open(readOnly: true)
            let census = try await store.secretCensus()
            let ids = store.secrets.keyring.keyIds
            for (n, id) in ids.enumerated() {
                print("\(id)\t\(n == 0 ? "encrypts" : "decrypts")\t\(census.byKey[id] ?? 0) secrets")
            }
            for (id, count) in census.byKey.sorted(by: { $0.key < $1.key }) where !ids.contains(id) {
                print("\(id)\tmissing\t\(count) secrets")
            }
            if census.clear > 0 { print("clear\t-\t\(census.clear) secrets") }
            if ids.isEmpty { printError("\(store.secrets.keyring.path) does not exist yet: it is made when the first secret is stored") }
        }
    }
}

struct KeysRotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Put a new key on line 1 and encrypt every secret again with it.",
        discussion: """
            The re-encryption is one transaction and changes no configuration: repositories keep their \
            content hashes and the reconciler sees no drift. The old keys stay in the file (they may be needed \
            for backups of the store) unless --remove-old takes out those no secret uses any more. A running \
            server picks up the new key file by itself.
            """)

    @Flag(name: .long, help: "Take the keys no secret uses any more out of the key file.")
    var removeOld = false

    @OptionGroup var storeOptions: StoreOptions

    func run() async throws {
        try await reportingErrors {
            let store = try storeOptions.open()
            let r = try await store.rotateSecretKeys(removeOld: removeOld)
            print("key \(r.keyId) now encrypts; \(r.resealed) secret\(r.resealed == 1 ? "" : "s") encrypted again")
            if !r.removed.isEmpty { print("removed from \(store.secrets.keyring.path): \(r.removed.joined(separator: ", "))") }
            if !r.kept.isEmpty {
                print("still in \(store.secrets.keyring.path): \(r.kept.joined(separator: ", ")) (pulpform keys rotate --remove-old takes them out)")
            }
        }
    }
}
