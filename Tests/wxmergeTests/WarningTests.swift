import Foundation
import Testing

/// Many warnings of one kind are printed and listed up to a cap, and counted in full.
@Suite struct WarningTests {
    @Test func distinctUnknownKeysArePrintedTwentyAKindAndCountedInFull() throws {
        let example = try ExampleCopy()
        let records = (0..<300).map { "- openid: oMany\($0)\n  appid: wx5e900be284d15942\n  extra_\($0): x\n" }.joined()
        try example.write("exports/many.yaml", records)
        let run = try example.run("run")
        #expect(run.status == 0, "\(run.stderr)")
        let warnings = run.stderr.split(separator: "\n").filter { $0.contains("warning:") }
        // 20 of the 301 unknown keys (300 here, 'city' in the quickstart), then one line for the rest.
        #expect(warnings.count == 21)
        #expect(warnings.last == "wxmerge: warning: and 281 more warnings of kind 'unknown_key' (281 records)")
        let json = try JSONSerialization.jsonObject(with: Data(example.read("out/report.json").utf8)) as! [String: Any]
        #expect((json["warnings"] as! [Any]).count == 20)
        let kinds = json["warning_kinds"] as! [[String: Any]]
        #expect(kinds.count == 1)
        #expect(kinds.first?["lines"] as? Int == 301)
        #expect(kinds.first?["records"] as? Int == 301)
        #expect(try example.read("out/report.md").contains("| and 281 more warnings of kind 'unknown_key' (281 records) | 281 |"))
    }
}
