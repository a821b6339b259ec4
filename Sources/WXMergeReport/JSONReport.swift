public import WXMergeCore
import Foundation

/// `report.json`: the run's facts for machines, keys in snake_case and sorted, so the
/// same run gives the same bytes (but for the time fields).
public enum JSONReport {
    public static func render(_ report: RunReport) throws -> String {
        try encode(report)
    }

    /// JSON as wxmerge writes it everywhere: pretty, keys sorted and in snake_case.
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return compactingEmpty(String(decoding: try encoder.encode(value), as: UTF8.self)) + "\n"
    }

    /// `[]` and `{}` for empty lists and objects, which Foundation's pretty printer spreads
    /// over blank lines on Linux. A line break outside a string is only ever formatting
    /// (JSON escapes those inside one), so the bytes between the brackets are all white.
    static func compactingEmpty(_ json: String) -> String {
        var out: [UInt8] = []
        let bytes = Array(json.utf8)
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") {
                let close = byte == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: "}")
                var next = index + 1
                while next < bytes.count, bytes[next] == 0x0A || bytes[next] == 0x20 { next += 1 }
                if next > index + 1, next < bytes.count, bytes[next] == close, bytes[index + 1] == 0x0A {
                    out += [byte, close]
                    index = next + 1
                    continue
                }
            }
            out.append(byte)
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
