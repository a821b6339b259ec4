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
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}
