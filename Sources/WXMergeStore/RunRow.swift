import WXMergeCore

/// The `runs` table's row for this run.
public struct RunRow: Sendable {
    public var startedAt: String
    public var finishedAt: String
    public var version: String
    public var configSHA256: String
    /// SHA-256 of every input file, by path relative to the job folder.
    public var inputs: [String: String]
    public var counts: [String: Int]

    public init(startedAt: String, finishedAt: String, version: String, configSHA256: String,
                inputs: [String: String], counts: [String: Int]) {
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.version = version
        self.configSHA256 = configSHA256
        self.inputs = inputs
        self.counts = counts
    }

    /// A JSON object with sorted keys, as the `inputs` and `counts` columns hold.
    package static func json<V>(_ object: [String: V], value: (V) -> String) -> String {
        let members = object.keys.sorted().map { JSONText.quoted($0) + ":" + value(object[$0]!) }
        return "{" + members.joined(separator: ",") + "}"
    }
}
