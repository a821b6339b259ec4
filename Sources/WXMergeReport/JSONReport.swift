public import WXMergeCore
import Foundation

/// `report.json`: the run's facts for machines, keys in snake_case and sorted, so the
/// same run gives the same bytes (but for the time fields).
public enum JSONReport {
    public static func render(_ report: RunReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
    }
}
