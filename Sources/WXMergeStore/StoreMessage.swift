public import WXMergeCore
#if canImport(Glibc)
import Glibc
#endif

/// The store's messages, in one place.
public enum StoreMessage {
    package static func cannotCreate(_ path: String, _ code: Int32) -> String {
        "cannot create '\(path)': \(String(cString: strerror(code)))"
    }
    package static func cannotWrite(_ path: String, _ reason: String) -> String { "cannot write '\(path)': \(reason)" }

    package static func failure(_ message: String) -> StoreError {
        StoreError(.cannotWrite, [.error(at: nil, message)])
    }
}

/// A failure of the output: it cannot be written or read as a wxmerge output, another run
/// holds it, or it is missing.
public struct StoreError: DiagnosedError {
    public enum Kind: Sendable {
        /// The output (or its folder) cannot be written, or what is there is not a wxmerge
        /// output this build reads; what was there is left as it was.
        case cannotWrite
        /// Another run holds the output.
        case busy
        /// There is no output to read.
        case missing
        /// The database server cannot be reached: refused, authentication, TLS.
        case unavailable
    }

    public var kind: Kind
    public var diagnostics: [Diagnostic]

    public init(_ kind: Kind, _ diagnostics: [Diagnostic]) {
        self.kind = kind
        self.diagnostics = diagnostics
    }
}

extension StoreMessage {
    static func notAWXMergeDatabase(_ path: String) -> String {
        "'\(path)' exists and is not a wxmerge database; it was left as it is"
    }
    static func unsupportedSchema(_ path: String, _ version: Int) -> String {
        "'\(path)' has schema version \(version), which this wxmerge does not read (it reads \(Schema.version)); it was left as it is"
    }
}

extension StoreMessage {
    static func noDatabase(_ path: String) -> String { "no database at '\(path)'" }
}

extension StoreMessage {
    static func busy(_ folder: String) -> String {
        "another run is writing the output in '\(folder)'; try again later, or give --wait SECONDS"
    }
    static func cannotLock(_ folder: String, _ code: Int32) -> String {
        "cannot lock '\(folder)': \(String(cString: strerror(code)))"
    }
    public static func unfinishedPublishing(_ database: String) -> String {
        "a run that was killed while publishing left '\(database)' and its reports half replaced; the next run finishes it first"
    }
}
