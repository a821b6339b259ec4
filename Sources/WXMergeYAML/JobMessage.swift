import WXMergeCore

/// The job file's messages (docs/reference.md, "Job file"), in one place.
public enum JobMessage {
    public static let secondDocument = "a job file holds one document; a second one starts here"
    public static let notAMapping = "the job file must be a mapping"
    public static let emptyJobFile = "the job file is empty"
    public static func unknownKey(_ key: String, in context: String?, closest: String? = nil) -> String {
        (context.map { "unknown key '\(key)' in '\($0)'" } ?? "unknown key '\(key)'")
            + (closest.map { "; did you mean '\($0)'?" } ?? "")
    }

    /// The known key nearest to `key` (by edit distance, the first of equals), if it is
    /// within 2 edits: what a typo most likely meant.
    static func closest(to key: String, in known: [String]) -> String? {
        let candidates = known.map { (key: $0, distance: editDistance(Array(key.utf8), Array($0.utf8))) }
        guard let best = candidates.min(by: { $0.distance < $1.distance }), best.distance <= 2 else { return nil }
        return best.key
    }

    /// Levenshtein distance: insertions, deletions and substitutions of bytes.
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
    public static func missingKey(_ key: String, in context: String?) -> String {
        context.map { "missing '\(key)' in '\($0)'" } ?? "missing '\(key)'"
    }
    public static func duplicateKey(_ key: String) -> String { "duplicate key '\(key)'" }
    public static func expectedMapping(_ key: String) -> String { "'\(key)' must be a mapping" }
    public static func expectedSequence(_ key: String) -> String { "'\(key)' must be a sequence" }
    public static func expectedScalar(_ key: String) -> String { "'\(key)' must be a single value" }
    public static func unsupportedVersion(_ value: String) -> String {
        "unsupported version '\(value)'; 1 is the only version"
    }
    public static func duplicatePlatform(_ id: String) -> String { "duplicate platform id '\(id)'" }
    public static func duplicateApp(_ appid: String) -> String { "duplicate appid '\(appid)'" }
    public static let firstDefinedHere = "first defined here"
    public static func malformedAppID(_ appid: String) -> String {
        "appid '\(appid)' is not 'wx' followed by 16 lowercase hex digits"
    }
    public static func unknownAppType(_ type: String) -> String {
        "unknown app type '\(type)'; expected one of \(AppTypeList.text)"
    }
    public static func unlistedPlatform(_ id: String) -> String { "platform '\(id)' is not listed in 'platforms'" }
    public static func unlistedApp(_ key: String, _ appid: String) -> String {
        "'\(key)' names appid '\(appid)', which is not listed in 'apps'"
    }
    public static func invalidValue(_ key: String, _ value: String, expected: String) -> String {
        "invalid value '\(value)' for '\(key)'; expected \(expected)"
    }
    public static func unknownField(_ field: String) -> String {
        "unknown survivorship field '\(field)'; expected nickname, avatar_url, phone or email"
    }
    public static func cannotRead(_ path: String, _ reason: String) -> String { "cannot read job file '\(path)': \(reason)" }
    static let passwordInJobFile = """
        a password in 'database' is refused: job files get committed; give it in PGPASSWORD, ~/.pgpass or a service file \
        (or with --output)
        """
    static func badSchemaName(_ name: String) -> String {
        "invalid schema '\(name)'; expected lowercase letters, digits and '_', not starting with a digit, at most 48 characters"
    }
}

enum AppTypeList {
    static let text = AppType.allCases.map(\.rawValue).joined(separator: ", ")
}
