// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "pulpform",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "pulpform", targets: ["pulpform"]),
        .library(name: "PulpModel", targets: ["PulpModel"]),
        .library(name: "PulpStore", targets: ["PulpStore"]),
        .library(name: "PulpCore", targets: ["PulpCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // Pure values and Pulp's rules. No I/O.
        .target(name: "PulpModel"),
        // The SQLite store (GRDB, WAL, named migrations).
        .target(
            name: "PulpStore",
            dependencies: ["PulpModel", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // Pulp operations run as tasks over the store; the PulpService protocol.
        .target(name: "PulpCore", dependencies: ["PulpModel", "PulpStore"]),
        .executableTarget(
            name: "pulpform",
            dependencies: [
                "PulpModel", "PulpStore", "PulpCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "PulpModelTests", dependencies: ["PulpModel"]),
        .testTarget(name: "PulpStoreTests", dependencies: ["PulpStore", "PulpModel"]),
        .testTarget(name: "PulpCoreTests", dependencies: ["PulpCore", "PulpStore", "PulpModel"]),
        .testTarget(name: "pulpformTests", dependencies: ["pulpform"]),
    ]
)
