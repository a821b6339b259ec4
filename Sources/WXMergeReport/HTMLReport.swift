// report.html is built with plain string building rather than a template package
// (swift-mustache, Plot): it is one page of tables and two SVG charts whose geometry is
// computed in Swift anyway, and one escaping function keeps it safe. A template would
// add a second language and a dependency for a few loops.

public import WXMergeCore
import Foundation

/// `report.html`: the report's facts as one self-contained page (inline CSS and SVG, no
/// scripts, nothing fetched), for the people who sign off on a merge. The markup is
/// well-formed XML, so it can be checked by any XML parser.
public enum HTMLReport {
    public static func render(_ report: RunReport) -> String {
        var page = Page()
        page.open(report)
        page.figures(report)
        if let changes = report.changes { page.changes(changes) }
        page.apps(report)
        page.heatmap(report)
        page.histogram(report.clusterSizes)
        page.links(report)
        page.conflicts(report.conflicts)
        page.rejected(report)
        page.lists(report)
        page.close()
        return page.text
    }
}

/// The page being written, section by section.
private struct Page {
    var text = ""

    mutating func line(_ html: String) {
        text += html + "\n"
    }

    mutating func open(_ report: RunReport) {
        line("<!DOCTYPE html>")
        line("<html lang=\"en\">")
        line("<head>")
        line("<meta charset=\"utf-8\" />")
        line("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />")
        line("<title>wxmerge report</title>")
        line("<style>\(Self.style)</style>")
        line("</head>")
        line("<body>")
        line("<main>")
        line("<header>")
        line("<h1>wxmerge report</h1>")
        line("<p class=\"meta\">Job <code>\(escape(report.job))</code> · started \(escape(report.startedAt))"
             + " · finished \(escape(report.finishedAt)) (\(number(report.durationSeconds)) s) · wxmerge \(escape(report.version))</p>")
        line("</header>")
    }

    mutating func close() {
        line("</main>")
        line("</body>")
        line("</html>")
    }

    mutating func figures(_ report: RunReport) {
        let totals = report.totals
        let figures: [(String, String, String)] = [
            ("records read", "\(totals.read)", ""),
            ("accepted", "\(totals.accepted)", ""),
            ("rejected", "\(totals.rejected)", totals.rejected > 0 ? " warn" : ""),
            ("accounts before", "\(totals.accountsBefore)", ""),
            ("users after", "\(totals.usersAfter)", ""),
            ("merge ratio", MarkdownReport.fixed(totals.mergeRatio, 2), ""),
        ]
        line("<section class=\"figures\">")
        for (label, value, kind) in figures {
            let title = label == "merge ratio" ? " title=\"\(number(totals.mergeRatio)) accounts per user\"" : ""
            line("<div class=\"figure\(kind)\"><span class=\"value\"\(title)>\(value)</span><span class=\"label\">\(label)</span></div>")
        }
        line("</section>")
        let check = totals.balanced ? "holds" : "DOES NOT HOLD"
        line("<p class=\"check\">read = accepted + rejected: \(totals.read) = \(totals.accepted) + \(totals.rejected) \(check).</p>")
    }

    mutating func changes(_ changes: Changes) {
        section("Changes since the earlier run")
        table(["", "users"], [
            ["earlier users", "\(changes.earlierUsers)"], ["new", "\(changes.new)"], ["kept", "\(changes.kept)"],
            ["merged (absorbed earlier users)", "\(changes.mergedCount)"], ["earlier ids now aliases", "\(changes.aliased)"],
            ["split", "\(changes.splitCount)"], ["gone", "\(changes.goneCount)"],
        ])
        line("<p>Earlier users merged, split or gone: \(MarkdownReport.fixed(changes.changedPercent, 1)) %.</p>")
        if !changes.merged.isEmpty {
            table(["user", "earlier ids now aliases of it"], changes.merged.map { [code($0.userId), $0.aliases.map(code).joined(separator: " ")] }, raw: true)
        }
        if !changes.split.isEmpty {
            table(["earlier user", "now in (the first keeps the id)"], changes.split.map { [code($0.earlierId), $0.parts.map(code).joined(separator: " ")] }, raw: true)
        }
        if !changes.gone.isEmpty {
            line("<p>Gone: " + changes.gone.map(code).joined(separator: " ") + (changes.goneCount > changes.gone.count ? " …" : "") + "</p>")
        }
        endSection()
    }

    mutating func apps(_ report: RunReport) {
        section("Apps")
        table(["app", "appid", "type", "platform", "records", "with unionid", "users"], report.apps.map { app in
            [escape(app.name ?? app.appid), code(app.appid), escape(app.type), escape(app.platform ?? "(none)"), "\(app.records)",
             "\(app.withUnionid) <span title=\"\(number(app.unionidShare))\">(\(MarkdownReport.fixed(app.unionidShare * 100, 1)) %)</span>",
             "\(app.users)"]
        }, raw: true)
        endSection()
    }

    /// Apps on both axes, numbered: each cell the users present in both apps, coloured by
    /// their share of the row app's users. The diagonal (an app with itself, always all of
    /// its users) is left uncoloured, so that the overlaps stand out.
    mutating func heatmap(_ report: RunReport) {
        section("App overlap")
        let apps = report.apps
        let cell = 64
        let left = 200
        let top = 28
        let size = apps.count * cell
        line("<p class=\"note\">Users present in both apps, coloured by their share of the row app's users; "
             + "the diagonal gives each app's own users. Hover for exact figures.</p>")
        let width = left + size + 10
        line("<div class=\"chart\"><svg class=\"heatmap\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(top + size + 10)\" viewBox=\"0 0 \(width) \(top + size + 10)\" role=\"img\" aria-label=\"app overlap matrix\">")
        for (index, app) in apps.enumerated() {
            let label = escape(app.name ?? app.appid)
            let y = top + index * cell + cell / 2
            line("<text class=\"axis\" x=\"\(left - 8)\" y=\"\(y - 2)\" text-anchor=\"end\">\(label) <tspan class=\"index\">\(index + 1)</tspan></text>")
            line("<text class=\"axis type\" x=\"\(left - 8)\" y=\"\(y + 13)\" text-anchor=\"end\">\(escape(app.type))</text>")
            let x = left + index * cell + cell / 2
            line("<text class=\"axis index\" x=\"\(x - 1)\" y=\"\(top - 10)\" text-anchor=\"middle\"><title>\(label)</title>\(index + 1)</text>")
        }
        for (row, values) in report.overlap.enumerated() {
            let rowUsers = max(values[row], 1)
            let rowName = apps[row].name ?? apps[row].appid
            for (column, value) in values.enumerated() {
                let share = Double(value) / Double(rowUsers)
                let x = left + column * cell
                let y = top + row * cell
                let isSelf = row == column
                let title = isSelf ? "\(rowName): \(value) users"
                    : "\(rowName) and \(apps[column].name ?? apps[column].appid): \(value) users"
                        + " (\(MarkdownReport.fixed(share * 100, 1)) % of \(rowName))"
                let fill = isSelf ? "#ffffff" : colour(share)
                let textClass = isSelf ? "count self" : "count\(share > 0.55 ? " light" : "")"
                line("<g><title>\(escape(title))</title>"
                     + "<rect class=\"cell\(isSelf ? " self" : "")\" x=\"\(x)\" y=\"\(y)\" width=\"\(cell - 2)\" height=\"\(cell - 2)\" fill=\"\(fill)\" />"
                     + "<text class=\"\(textClass)\" x=\"\(x + cell / 2 - 1)\" y=\"\(y + cell / 2 + 4)\" text-anchor=\"middle\">\(value)</text></g>")
            }
        }
        line("</svg></div>")
        endSection()
    }

    /// Users per cluster size as bars across the card's width, both axes labelled; on a
    /// logarithmic scale when the tail would vanish on a linear one. The numbers are
    /// written once, on the bars.
    mutating func histogram(_ sizes: [RunReport.SizeCount]) {
        section("Cluster sizes")
        guard let most = sizes.map(\.users).max(), most > 0 else {
            line("<p>No users.</p>")
            endSection()
            return
        }
        let least = max(sizes.map(\.users).min() ?? 1, 1)
        let isLog = most / least > 50
        let (width, height, left, top) = (800, 220, 70, 24)
        let bar = (width - left - 10) / max(sizes.count, 1)
        let baseline = top + height
        func scaled(_ users: Int) -> Int {
            guard users > 0 else { return 0 }
            if isLog { return max(2, Int(Double(height) * log10(Double(users) + 1) / log10(Double(most) + 1))) }
            return max(2, height * users / most)
        }
        // Ticks: powers of ten on a log scale, else four even steps of a round number.
        var ticks: [Int] = isLog ? [] : [0]
        if isLog {
            var tick = 1
            while tick <= most { ticks.append(tick); tick *= 10 }
        } else {
            // The least of 1, 2, 5, 10, 20, 50, … that gives at most four steps.
            let factors = [1, 2, 5]
            var (step, factor, scale) = (1, 0, 1)
            while most / step > 4 {
                factor += 1
                if factor == factors.count { (factor, scale) = (0, scale * 10) }
                step = factors[factor] * scale
            }
            ticks += stride(from: step, through: most, by: step)
        }
        line("<p class=\"note\">Users by number of records\(isLog ? " (logarithmic scale)" : "").</p>")
        line("<div class=\"chart\"><svg class=\"histogram\" xmlns=\"http://www.w3.org/2000/svg\" width=\"100%\" viewBox=\"0 0 \(width) \(baseline + 56)\" role=\"img\" aria-label=\"cluster size histogram\">")
        for tick in ticks {
            let y = baseline - scaled(tick)
            line("<line class=\"grid\" x1=\"\(left)\" y1=\"\(y)\" x2=\"\(left + sizes.count * bar)\" y2=\"\(y)\" />"
                 + "<text class=\"axis\" x=\"\(left - 8)\" y=\"\(y + 4)\" text-anchor=\"end\">\(tick)</text>")
        }
        line("<line class=\"baseline\" x1=\"\(left)\" y1=\"\(top - 6)\" x2=\"\(left)\" y2=\"\(baseline)\" />")
        line("<line class=\"baseline\" x1=\"\(left)\" y1=\"\(baseline)\" x2=\"\(left + sizes.count * bar)\" y2=\"\(baseline)\" />")
        for (index, size) in sizes.enumerated() {
            let h = scaled(size.users)
            let x = left + index * bar + 6
            line("<g><title>\(size.users) users with \(size.records) records</title>"
                 + "<rect class=\"bar\" x=\"\(x)\" y=\"\(baseline - h)\" width=\"\(bar - 12)\" height=\"\(h)\" />"
                 + "<text class=\"value\" x=\"\(x + (bar - 12) / 2)\" y=\"\(baseline - h - 5)\" text-anchor=\"middle\">\(size.users)</text>"
                 + "<text class=\"axis\" x=\"\(x + (bar - 12) / 2)\" y=\"\(baseline + 18)\" text-anchor=\"middle\">\(size.records)</text></g>")
        }
        line("<text class=\"axis title\" x=\"\(left + sizes.count * bar / 2)\" y=\"\(baseline + 44)\" text-anchor=\"middle\">records per user</text>")
        line("<text class=\"axis title\" transform=\"translate(16,\(top + height / 2)) rotate(-90)\" text-anchor=\"middle\">users</text>")
        line("</svg></div>")
        endSection()
    }

    mutating func links(_ report: RunReport) {
        section("Links per rule")
        table(["rule", "links"], Rule.allCases.map { [$0.rawValue, "\(report.linksByRule[$0.rawValue] ?? 0)"] })
        endSection()
    }

    mutating func conflicts(_ conflicts: RunReport.Conflicts) {
        section("Conflicts")
        if conflicts.count == 0 {
            line("<p>None.</p>")
        } else {
            line("<p>\(conflicts.count) (refused \(conflicts.refused), kept \(conflicts.kept))"
                 + (conflicts.count > conflicts.first.count ? "; the first \(conflicts.first.count):" : ":") + "</p>")
            table(["rule", "key", "constraint", "resolution", "record a", "record b"], conflicts.first.map { conflict in
                [escape(conflict.rule), code(conflict.key), escape(conflict.constraint), escape(conflict.resolution),
                 record(conflict.recordA), record(conflict.recordB)]
            }, raw: true)
        }
        endSection()
    }

    private func record(_ record: RunReport.RecordFacts) -> String {
        "#\(record.recordId) \(code(record.appid + ":" + record.openid)) <span class=\"where\">\(escape(record.location))</span>"
    }

    mutating func rejected(_ report: RunReport) {
        section("Rejected records")
        if report.rejectedByReason.isEmpty {
            line("<p>None.</p>")
        } else {
            table(["reason", "records"], report.rejectedByReason.map { [$0.reason, "\($0.count)"] })
            let showsRaw = report.rejected.contains { $0.raw != nil }
            line("<p>\(report.totals.rejected > report.rejected.count ? "The first \(report.rejected.count):" : "Each one:")</p>")
            table(showsRaw ? ["where", "reason", "raw"] : ["where", "reason"], report.rejected.map { rejected in
                let row = [escape(rejected.location), escape(rejected.reason)]
                return showsRaw ? row + ["<pre>\(escape(rejected.raw ?? ""))</pre>"] : row
            }, raw: true)
        }
        endSection()
    }

    mutating func lists(_ report: RunReport) {
        section("Suggestions")
        if report.suggestions.count == 0 {
            line("<p>None.</p>")
        } else {
            line("<p>\(report.suggestions.count) pairs of users to review"
                 + (report.suggestions.count > report.suggestions.first.count ? "; the first \(report.suggestions.first.count):" : ":") + "</p>")
            table(["rule", "shared value", "user a", "user b"], report.suggestions.first.map {
                [escape($0.rule), code($0.key), code($0.userA), code($0.userB)]
            }, raw: true)
        }
        endSection()
        section("Generic identifiers")
        if report.genericIdentifiers.isEmpty {
            line("<p>None.</p>")
        } else {
            table(["rule", "value", "people"], report.genericIdentifiers.map { [escape($0.rule), code($0.value), "\($0.people)"] }, raw: true)
        }
        endSection()
        section("Migrations")
        if report.migrations.isEmpty {
            line("<p>None.</p>")
        } else {
            table(["from", "to", "records mapped", "records unmapped", "map items with errors"],
                  report.migrations.map { [$0.from, $0.to, "\($0.mapped)", "\($0.unmapped)", "\($0.erroredItems)"] })
        }
        endSection()
        section("Warnings")
        if report.warnings.isEmpty {
            line("<p>None.</p>")
        } else {
            table(["warning", "records", "first seen"], report.warningRows)
        }
        endSection()
    }

    // MARK: Pieces

    mutating func section(_ title: String) {
        line("<section>")
        line("<h2>\(escape(title))</h2>")
    }

    mutating func endSection() {
        line("</section>")
    }

    /// A table; cells are escaped unless `raw` (then the caller built them as markup).
    mutating func table(_ header: [String], _ rows: [[String]], raw: Bool = false) {
        // On a phone, a table wider than the screen scrolls; say so above it.
        let isWide = header.count > 2
        if isWide { line("<p class=\"scroll\">Scroll sideways for more columns →</p>") }
        line("<div class=\"table\"><table\(isWide ? " class=\"wide\"" : "")>")
        line("<thead><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead>")
        line("<tbody>")
        for row in rows {
            line("<tr>" + row.map { "<td>\(raw ? $0 : escape($0))</td>" }.joined() + "</tr>")
        }
        line("</tbody></table></div>")
    }

    private func code(_ text: String) -> String { "<code>\(escape(text))</code>" }

    /// A number as report.json writes it: integral values without a fraction.
    private func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
    }

    /// From a pale blue (0) to a deep blue (1).
    private func colour(_ share: Double) -> String {
        let t = min(max(share, 0), 1)
        let from = (0xEE, 0xF3, 0xFA)
        let to = (0x1F, 0x5F, 0xBF)
        func mix(_ a: Int, _ b: Int) -> Int { Int((Double(a) + (Double(b) - Double(a)) * t).rounded()) }
        let digits = Array("0123456789abcdef")
        return "#" + [mix(from.0, to.0), mix(from.1, to.1), mix(from.2, to.2)].map { String([digits[$0 / 16], digits[$0 % 16]]) }.joined()
    }

    static let style = """
        body{margin:0;font:15px/1.5 -apple-system,"Segoe UI","PingFang SC","Noto Sans CJK SC",sans-serif;color:#1b2733;background:#f7f9fc}\
        main{max-width:1100px;margin:0 auto;padding:16px}\
        h1{font-size:26px;margin:8px 0}h2{font-size:19px;margin:0 0 10px}\
        .meta,.note,.where{color:#5b6b7b;font-size:13px}\
        section{background:#fff;border:1px solid #dde4ee;border-radius:8px;padding:14px 16px;margin:14px 0;break-inside:avoid}\
        .figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;background:none;border:none;padding:0}\
        .figure{background:#fff;border:1px solid #dde4ee;border-radius:8px;padding:12px 14px}\
        .figure .value{display:block;font-size:30px;font-weight:600;color:#1f5fbf}\
        .figure.warn .value{color:#b5531a}.figure .label{color:#5b6b7b}\
        .check{color:#5b6b7b}\
        .table,.chart{overflow-x:auto;background:linear-gradient(90deg,#fff 30%,#fff0) left/40px 100% no-repeat local,\
        linear-gradient(270deg,#fff 30%,#fff0) right/40px 100% no-repeat local,\
        radial-gradient(farthest-side at 0 50%,#0003,#0000) left/14px 100% no-repeat scroll,\
        radial-gradient(farthest-side at 100% 50%,#0003,#0000) right/14px 100% no-repeat scroll}\
        table{border-collapse:collapse;width:100%;font-size:14px}\
        th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e6ebf2;vertical-align:top}\
        th{background:#f0f4f9}code{font-size:12.5px;white-space:nowrap}pre{margin:0;white-space:pre-wrap;font-size:12px}\
        svg text{font-size:12px;fill:#1b2733}svg .type{fill:#6b7b8b;font-size:11px}\
        svg .count{font-size:13px;font-weight:600}svg .light{fill:#fff}svg .value{font-size:10.5px;fill:#3b4b5b}svg .bar{fill:#1f5fbf}svg .baseline{stroke:#9aa8b8}\
        svg.histogram{min-width:480px}svg.histogram text{font-size:13px}svg .grid{stroke:#e6ebf2}svg .title{fill:#5b6b7b}svg .index{fill:#6b7b8b;font-weight:600}\
        svg .self{stroke:#c9d2dd;stroke-dasharray:3 3}svg .count.self{fill:#6b7b8b;font-weight:400}\
        .scroll{display:none;color:#5b6b7b;font-size:12px;margin:2px 0 6px}\
        @media (max-width:600px){main{padding:8px}.figure .value{font-size:22px}.scroll{display:block}\
        table.wide{min-width:520px}th{background:#f0f4f9cc}}\
        @media print{body{background:#fff}section,.figure{border-color:#bbb}main{max-width:none}}
        """
}

/// Text for HTML and XML: the five characters that could end a text or an attribute.
private func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.count)
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(character)
        }
    }
    return out
}
