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
    static func json<V>(_ object: [String: V], value: (V) -> String) -> String {
        let members = object.keys.sorted().map { key in
            var quoted: [UInt8] = []
            JSONText.appendString(Array(key.utf8), to: &quoted)
            return String(decoding: quoted, as: UTF8.self) + ":" + value(object[key]!)
        }
        return "{" + members.joined(separator: ",") + "}"
    }
}

enum JSONText {
    static func appendString(_ bytes: [UInt8], to json: inout [UInt8]) {
        json.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                json.append(UInt8(ascii: "\\"))
                json.append(byte)
            case 0..<0x20:
                json.append(contentsOf: Array("\\u00".utf8))
                json.append(Array("0123456789abcdef".utf8)[Int(byte >> 4)])
                json.append(Array("0123456789abcdef".utf8)[Int(byte & 0xF)])
            default:
                json.append(byte)
            }
        }
        json.append(UInt8(ascii: "\""))
    }
}
