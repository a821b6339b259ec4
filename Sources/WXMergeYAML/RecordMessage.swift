#if canImport(Glibc)
import Glibc
#endif

/// The record files' messages (docs/reference.md, "Record files"), in one place. Rejection reasons name
/// the field and hold no values, so the report can count rejections by reason; the
/// values are in the rejected record's raw text.
public enum RecordMessage {
    // File errors (exit 65).
    public static let topLevelShape =
        "the top level must be a sequence of records or a mapping with 'records:'"
    public static func unknownTopLevelKey(_ key: String) -> String {
        "unknown top-level key '\(key)'; expected 'source', 'appid', 'platform' or 'records'"
    }
    public static let nonScalarTopLevelKey = "a top-level key must be a single value"
    public static func duplicateTopLevelKey(_ key: String) -> String { "duplicate top-level key '\(key)'" }
    public static let missingRecords = "the top-level mapping has no 'records:'"
    public static let recordsNotASequence = "'records' must be a sequence"
    public static func defaultNotAScalar(_ key: String) -> String { "'\(key)' must be a single value" }
    public static func tooDeep(_ limit: Int) -> String { "nesting deeper than \(limit) levels" }
    public static func unknownAnchor(_ name: String) -> String { "alias '*\(name)' names no anchor defined before it" }
    public static func aliasBudget(_ nodes: Int, _ growth: Int) -> String {
        "aliases expand to more than \(nodes) nodes and more than \(growth) times the document's own"
    }
    public static let openIDMapShape =
        "an openid_map must be a sequence of {ori_openid, new_openid, err_msg} items or a mapping with 'result_list:'"
    public static func missingOpenIDMap(_ path: String) -> String { "openid_map '\(path)' does not exist" }

    // Rejections.
    public static let notAMapping = "record is not a mapping"
    public static let nonScalarKey = "record has a key that is not a single value"
    public static func duplicateKey(_ key: String) -> String { "record has '\(key)' twice" }
    public static func notAScalar(_ key: String) -> String { "'\(key)' is not a single value" }
    public static let missingOpenID = "record has no 'openid'"
    public static let missingAppID = "record has no 'appid'"
    public static let malformedAppID = "'appid' is not 'wx' followed by 16 lowercase hex digits"
    public static let unlistedAppID = "'appid' is not listed in the job's apps"
    public static func whiteSpaceInID(_ key: String) -> String { "'\(key)' contains white space" }
    public static func idTooLong(_ key: String) -> String { "'\(key)' is longer than 128 bytes" }
    public static let unlistedPlatform = "'platform' is not listed in the job's platforms"
    public static let attributesNotAMapping = "'attributes' is not a mapping"
    public static let snapshotUser = "'is_snapshotuser' is 1: a snapshot user's ids are virtual"

    // Warnings (the record is kept).
    public static func unknownKey(_ key: String) -> String { "unknown key '\(key)' kept in attributes" }
    public static let unionidWithoutPlatform = "'unionid' on an app bound to no platform: kept, not used for linking"
    public static let phoneNotNormalised = "'phone' cannot be normalised: kept as written, not used for linking"
    public static let emailNotNormalised = "'email' cannot be normalised: kept as written, not used for linking"
    public static func unreadableTime(_ key: String) -> String { "'\(key)' is not a time: treated as missing" }

    static func changedWhileRead(_ path: String) -> String {
        "'\(path)' changed while this run was reading it; nothing was written: run again"
    }

    static func cannotRead(_ path: String, _ code: Int32) -> String {
        "cannot read '\(path)': \(String(cString: strerror(code)))"
    }
}

extension RecordMessage {
    static let parserOutOfMemory = "cannot start the YAML parser: out of memory"
}
