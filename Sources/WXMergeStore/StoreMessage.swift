import WXMergeCore
#if canImport(Glibc)
import Glibc
#endif

/// The store's messages, in one place. Failures to write are exit 73.
public enum StoreMessage {
    static func cannotCreate(_ path: String, _ code: Int32) -> String {
        "cannot create '\(path)': \(String(cString: strerror(code)))"
    }
    static func cannotWrite(_ path: String, _ reason: String) -> String { "cannot write '\(path)': \(reason)" }

    static func failure(_ message: String) -> RunFailure {
        RunFailure(exitCode: RunFailure.outputNotWritable, [.error(at: nil, message)])
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
