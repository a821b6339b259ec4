// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "wxmerge",
    products: [
        .executable(name: "wxmerge", targets: ["wxmerge"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .systemLibrary(
            name: "CPostgres",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(
            name: "WXMergeCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "YAMLAllocation", dependencies: ["CYAML"]),
        .target(name: "WXMergeYAML", dependencies: ["CYAML", "YAMLAllocation", "WXMergeCore"]),
        .target(
            name: "WXMergeStore",
            dependencies: [
                "WXMergeCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .target(name: "WXMergePostgres", dependencies: ["CPostgres", "WXMergeCore", "WXMergeStore"]),
        .target(name: "WXMergeExport", dependencies: ["WXMergeCore", "WXMergeStore"]),
        .target(name: "WXMergeReport", dependencies: ["WXMergeCore"]),
        .target(name: "WXMergeSample", dependencies: ["WXMergeCore"]),
        .target(
            name: "WXMergeRun",
            dependencies: ["WXMergeCore", "WXMergeYAML", "WXMergeStore", "WXMergePostgres", "WXMergeReport"]
        ),
        .target(
            name: "WXMergeCLI",
            dependencies: [
                "WXMergeCore", "WXMergeYAML", "WXMergeStore", "WXMergeReport", "WXMergeSample", "WXMergeRun", "WXMergeExport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "wxmerge", dependencies: ["WXMergeCLI"]),
        // `wxmerge` with the tests' hook: stops at the checkpoint WXMERGE_TEST_STOP_AT names.
        .executableTarget(name: "StoppingWXMerge", dependencies: ["WXMergeCLI"], path: "Tests/StoppingWXMerge"),
        .executableTarget(name: "yaml-scan", dependencies: ["CYAML"]),
        // libFuzzer targets (scripts/fuzz); without FUZZING, a driver that replays inputs.
        .executableTarget(name: "Fuzzers", dependencies: ["WXMergeYAML", "WXMergeCore"], path: "Fuzz"),
        .testTarget(name: "WXMergeCoreTests", dependencies: ["WXMergeCore"]),
        .testTarget(name: "WXMergeYAMLTests", dependencies: ["WXMergeYAML", "WXMergeCore", "YAMLAllocation"]),
        .testTarget(
            name: "WXMergeStoreTests",
            dependencies: ["WXMergeStore", "WXMergeCore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(name: "WXMergeReportTests", dependencies: ["WXMergeReport", "WXMergeCore"]),
        .testTarget(name: "WXMergeRunTests", dependencies: ["WXMergeRun", "WXMergeStore", "WXMergeYAML", "WXMergeCore"]),
        .testTarget(
            name: "wxmergeTests",
            dependencies: ["WXMergeCore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

for target in package.targets where target.type != .system && !["yaml-scan", "YAMLAllocation"].contains(target.name) {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("InternalImportsByDefault"))
    target.swiftSettings = settings
}
