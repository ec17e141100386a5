// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "pulpform",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "pulpform", targets: ["pulpform"]),
        .library(name: "PulpModel", targets: ["PulpModel"]),
        .library(name: "PulpStore", targets: ["PulpStore"]),
        .library(name: "PulpContract", targets: ["PulpContract"]),
        .library(name: "PulpCore", targets: ["PulpCore"]),
        .library(name: "Reconciler", targets: ["Reconciler"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Pure values and Pulp's rules. No I/O.
        .target(name: "PulpModel"),
        // The SQLite store (GRDB, WAL, named migrations), with importer secrets sealed under a key file.
        .target(
            name: "PulpStore",
            dependencies: ["PulpModel", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto")]
        ),
        // The contract: the PulpService protocols, split by role, and the values they speak. No store.
        .target(name: "PulpContract", dependencies: ["PulpModel"]),
        // zlib, liblzma, libbz2 and libzstd (Debian's -dev packages), for repodata.
        .systemLibrary(
            name: "CCompression",
            providers: [.apt(["zlib1g-dev", "liblzma-dev", "libbz2-dev", "libzstd-dev"])]
        ),
        // Content without a store: compression, checksums, the repodata readers and writers, downloads, the
        // content directory.
        .target(
            name: "PulpContent",
            dependencies: [
                "CCompression", "PulpModel",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Who may do what, without a store: password hashes, Basic credentials, the failed-login throttle, login
        // certificates.
        .target(
            name: "PulpAuth",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),
        // Pulp operations run as tasks over the store: LocalPulp, the contract's in-process implementation.
        .target(
            name: "PulpCore",
            dependencies: ["PulpModel", "PulpContract", "PulpStore", "PulpContent", "PulpAuth", .product(name: "Metrics", package: "swift-metrics")]
        ),
        // The contract over HTTP, against live Pulp 2 servers.
        .target(
            name: "PulpClient",
            dependencies: [
                "PulpModel", "PulpContract",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // libyaml's event API (libyaml-dev, pkg-config yaml-0.1).
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        // Manifests, normalisation, diff, plan, apply and the plan renderers. Talks only to PulpService.
        .target(
            name: "Reconciler",
            dependencies: [
                "CYAML", "PulpModel", "PulpContract",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The Pulp v2 REST API over PulpCore (Hummingbird 2), with the scheduler.
        .target(
            name: "PulpServer",
            dependencies: [
                "PulpModel", "PulpContract", "PulpCore", "PulpAuth",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "pulpform",
            dependencies: [
                "PulpModel", "PulpContract", "PulpStore", "PulpContent", "PulpAuth", "PulpCore", "Reconciler", "PulpServer", "PulpClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // What fuzzing asks of the manifest decoders, and a deterministic mutator (see scripts/fuzz-manifests.sh).
        .target(name: "ManifestFuzzing", dependencies: ["Reconciler"], path: "Fuzz/ManifestFuzzing"),
        // libFuzzer's target when built with -sanitize=fuzzer -DPULPFORM_LIBFUZZER; otherwise the mutator's runner.
        .executableTarget(name: "pulpform-fuzz", dependencies: ["ManifestFuzzing"], path: "Fuzz/pulpform-fuzz"),
        // Child processes measured with wait4 (exit code, wall and CPU time, peak RSS): for the benchmark and the tests.
        .target(name: "ChildProcess"),
        // `swift build -c release && .build/release/pulpform-bench`: see docs/PERFORMANCE.md.
        .executableTarget(
            name: "pulpform-bench",
            dependencies: [
                "CYAML", "ChildProcess", "PulpContent",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Benchmarks/PulpformBench"
        ),
        // What every suite shares: temporary directories and stores, the CLI runner, the live servers.
        .target(
            name: "PulpformTestKit",
            dependencies: [
                "PulpServer", "PulpCore", "PulpContract", "PulpStore", "PulpModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/PulpformTestKit"
        ),
        .testTarget(name: "PulpModelTests", dependencies: ["PulpModel"]),
        .testTarget(name: "PulpAuthTests", dependencies: ["PulpAuth"]),
        .testTarget(name: "PulpContentTests", dependencies: ["PulpContent", "PulpModel"]),
        .testTarget(name: "PulpStoreTests", dependencies: ["PulpformTestKit", "PulpStore", "PulpModel"]),
        .testTarget(name: "PulpCoreTests", dependencies: ["PulpformTestKit", "PulpCore", "PulpContract", "PulpStore", "PulpModel"]),
        .testTarget(
            name: "PulpServerTests",
            dependencies: [
                "PulpformTestKit", "PulpServer", "PulpContract", "PulpCore", "PulpStore", "PulpModel", "Reconciler",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "PulpClientTests",
            dependencies: [
                "PulpformTestKit", "PulpClient", "PulpServer", "PulpContract", "PulpCore", "PulpStore", "PulpModel",
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "ReconcilerTests",
            dependencies: ["PulpformTestKit", "Reconciler", "PulpContract", "PulpCore", "PulpStore", "PulpModel", "ManifestFuzzing"]
        ),
        .testTarget(
            name: "pulpformTests",
            dependencies: ["PulpformTestKit", "pulpform", "PulpContract", "PulpCore", "PulpStore", "PulpModel", "Reconciler", "ChildProcess"]
        ),
    ]
)

// The compiler holds the layers: a file sees only the modules it imports, imports are internal unless marked
// `public`, and existential types are spelled `any`.
for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .enableUpcomingFeature("MemberImportVisibility"),
        .enableUpcomingFeature("InternalImportsByDefault"),
        .enableUpcomingFeature("ExistentialAny"),
    ]
}
