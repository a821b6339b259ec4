#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The messages WXMergeCore produces, in one place.
public enum CoreMessage {
    static func cannotCreateTemporaryFile(_ folder: String, _ code: Int32) -> String {
        "cannot create a temporary file in '\(folder)': \(String(cString: strerror(code)))"
    }

    static func cannotWriteTemporaryFile(_ code: Int32) -> String {
        "cannot write a temporary file: \(String(cString: strerror(code)))"
    }

    static func cannotReadTemporaryFile(_ code: Int32) -> String {
        "cannot read back a temporary file: \(String(cString: strerror(code)))"
    }
}
