import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import WXMergeCore
import WXMergeReport

/// A known run: three apps; users of 1, 2 and 3 records; a refused link; a rejection.
private func knownReport(changes: Bool = false) -> RunReport {
    let platforms = [Platform(id: "acme")]
    let apps = [
        App(appid: "wx0000000000000001", name: "Web & <Shop>", type: .website, platform: 0),
        App(appid: "wx0000000000000002", name: "Mini", type: .miniProgram, platform: 0),
        App(appid: "wx0000000000000003", name: nil, type: .mobile, platform: 0),
    ]
    let job = Job(path: "wxmerge.yaml", folder: ".", platforms: platforms, apps: apps, inputs: [])
    var set = RecordSet()
    set.sources = ["shop"]
    set.files = ["a.yaml"]
    let rows: [(Int32, String, String?, String?)] = [
        (0, "oA", "u1", nil), (1, "oB", "u1", nil), (2, "oC", "u1", nil),
        (0, "oD", "u2", "7"), (1, "oE", "u2", nil),
        (0, "oF", nil, "7"),
    ]
    for (index, row) in rows.enumerated() {
        func text(_ value: String?) -> TextRef {
            guard let value else { return .missing }
            defer { set.arena.append(contentsOf: value.utf8) }
            return TextRef(offset: UInt32(set.arena.count), length: UInt32(value.utf8.count))
        }
        set.records.append(Record(app: row.0, platform: 0, source: 0, openid: text(row.1), unionid: text(row.2),
                                  legacyID: text(row.3), createdAt: Record.noTime, updatedAt: Record.noTime, file: 0,
                                  ordinal: Int32(index), line: Int32(index + 1), fields: [],
                                  payload: PayloadRef(spool: 0, offset: 0, length: 0)))
    }
    let result = Reconciler(job: job).reconcile(&set)
    let rejection = Rejection(location: SourceLocation(file: "a.yaml", line: 40, column: 5),
                              end: SourceLocation(file: "a.yaml", line: 41, column: 1), reason: "record has no 'openid'", raw: "x: 1")
    var report = RunReport(job: job, result: result, read: 7, rejections: [rejection], warnings: [],
                           version: "9.9.9", startedAt: "2026-01-01T00:00:00Z", finishedAt: "2026-01-01T00:00:02Z",
                           durationSeconds: 2.25, privacy: Privacy(showsValues: false))
    if changes {
        report.changes = Changes(earlierUsers: 4, new: 1, kept: 1, mergedCount: 1,
                                 merged: [.init(userId: "u_aaaaaaaaaaaaaaaaaaaaaaaa", aliases: ["u_bbbbbbbbbbbbbbbbbbbbbbbb"])],
                                 aliased: 1, splitCount: 0, split: [], goneCount: 1, gone: ["u_cccccccccccccccccccccccc"])
    }
    return report
}

@Suite struct ReportTests {
    @Test func theKnownRunHasTheFactsTheChartsShow() {
        let report = knownReport()
        #expect(report.clusterSizes.map(\.records) == [1, 2, 3])
        #expect(report.conflicts.refused == 1)
        #expect(report.totals.balanced)
    }

    @Test func htmlIsWellFormed() throws {
        let html = HTMLReport.render(knownReport(changes: true))
        let parser = XMLParser(data: Data(html.utf8))
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
    }

    @Test func htmlChartsHaveACellPerAppPairAndABarPerClusterSize() throws {
        let report = knownReport()
        let html = HTMLReport.render(report)
        let counter = ElementCounter()
        let parser = XMLParser(data: Data(html.utf8))
        parser.delegate = counter
        #expect(parser.parse())
        // The diagonal (an app with itself) is drawn apart, uncoloured.
        #expect(counter.classes["cell"] == report.apps.count * (report.apps.count - 1))
        #expect(counter.classes["cell self"] == report.apps.count)
        #expect(counter.classes["bar"] == report.clusterSizes.count)
        #expect(counter.elements["script"] == nil)
        #expect(counter.elements["link"] == nil)
    }

    @Test func everyNumberOfTheJSONReportIsInTheHTML() throws {
        let report = knownReport(changes: true)
        let html = HTMLReport.render(report)
        let json = try JSONSerialization.jsonObject(with: Data(try JSONReport.render(report).utf8))
        var numbers: [String] = []
        func collect(_ value: Any) {
            switch value {
            case let object as [String: Any]: object.values.forEach(collect)
            case let array as [Any]: array.forEach(collect)
            case let number as NSNumber where !(value is Bool) && !(value is String):
                let double = number.doubleValue
                numbers.append(double == double.rounded() ? String(Int(double)) : "\(double)")
            default: break
            }
        }
        collect(json)
        #expect(numbers.count > 20)
        for number in numbers {
            #expect(html.contains(number), "\(number)")
        }
    }

    @Test func htmlEscapesWhatItShows() {
        let html = HTMLReport.render(knownReport())
        #expect(html.contains("Web &amp; &lt;Shop&gt;"))
        #expect(!html.contains("<Shop>"))
    }

    @Test func markdownHasEverySection() {
        let markdown = MarkdownReport.render(knownReport(changes: true))
        for heading in ["## Summary", "## Apps", "### Overlap: users present in both apps", "## Changes since the earlier run", "## Links per rule",
                        "## Conflicts", "## Suggestions", "## Generic identifiers", "## Migrations", "## Cluster sizes",
                        "## Rejected records", "## Warnings"] {
            #expect(markdown.contains(heading + "\n"), "\(heading)")
        }
        #expect(markdown.contains("| records read | 7 |"))
        #expect(markdown.contains("1 (refused 1, kept 0):"))
    }

    @Test func jsonKeysAreSnakeCase() throws {
        let json = try JSONReport.render(knownReport())
        #expect(json.contains("\"accounts_before\" : 6"))
        #expect(json.contains("\"links_by_rule\""))
        #expect(!json.contains("\"raw\""))
    }
}

private final class ElementCounter: NSObject, XMLParserDelegate {
    var elements: [String: Int] = [:]
    var classes: [String: Int] = [:]

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName: String?, attributes: [String: String] = [:]) {
        elements[elementName, default: 0] += 1
        if elementName == "rect", let kind = attributes["class"] { classes[kind, default: 0] += 1 }
    }
}
