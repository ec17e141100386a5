public import Foundation
import PulpModel

/// Reads `{env:}` and `{file:}` secrets. Values are only fingerprinted and applied, never printed.
public struct SecretResolver: Sendable {
    public var environment: [String: String]
    /// Relative `{file:}` paths are taken from here.
    public var baseDirectory: String
    /// The largest `{file:}` secret read: certificates and keys take a few kilobytes, a CA bundle a few hundred.
    public var maximumFileBytes = 1024 * 1024

    public struct Failure: Error, Sendable, Equatable {
        public var message: String
    }

    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                baseDirectory: String = FileManager.default.currentDirectoryPath)
    {
        self.environment = environment
        self.baseDirectory = baseDirectory
    }

    public func resolve(_ source: SecretSource) -> Result<String, Failure> {
        switch source {
        case .env(let name):
            guard let v = environment[name] else {
                return .failure(Failure(message: "secret {env: \(ManifestLimits.cut(name))} cannot be resolved: "
                    + "\(ManifestLimits.cut(name)) is not set"))
            }
            return .success(v)
        case .file(let path):
            let full = path.hasPrefix("/") ? path : (baseDirectory as NSString).appendingPathComponent(path)
            let data: [UInt8]
            switch BoundedFile.contents(of: full, limit: maximumFileBytes) {
            case .success(let bytes): data = bytes
            case .failure(let failure):
                let why: String
                switch failure {
                case .cannotOpen: why = "the file cannot be read"
                case .notRegular(let kind): why = "it is \(kind), not a regular file"
                case .tooLarge: why = "the file is larger than \(maximumFileBytes.formatted) bytes"
                }
                return .failure(Failure(message: "secret {file: \(ManifestLimits.cut(path))} cannot be resolved: \(why)"))
            }
            var text = String(decoding: data, as: UTF8.self)
            // A trailing newline from an editor or `echo` is not part of the secret.
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            return .success(text)
        }
    }
}
