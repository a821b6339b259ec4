public import WXMergeCore

/// `report.md`: the run's facts for the people who review a merge.
public enum MarkdownReport {
    public static func render(_ report: RunReport) -> String {
        var out: [String] = []
        let totals = report.totals
        out.append("# wxmerge report")
        out.append("")
        out.append("- Job: `\(report.job)`")
        out.append("- Started: \(report.startedAt)")
        out.append("- Finished: \(report.finishedAt) (\(fixed(report.durationSeconds, 3)) s)")
        out.append("- wxmerge \(report.version)")
        out.append("")
        out.append("## Summary")
        out.append("")
        out += table(["", "count"], [
            ["records read", "\(totals.read)"],
            ["accepted", "\(totals.accepted)"],
            ["rejected", "\(totals.rejected)"],
            ["accounts before (distinct appid + openid)", "\(totals.accountsBefore)"],
            ["users after", "\(totals.usersAfter)"],
            ["merge ratio (accounts per user)", fixed(totals.mergeRatio, 2)],
        ])
        out.append("")
        let check = totals.balanced ? "holds" : "DOES NOT HOLD"
        out.append("read = accepted + rejected: \(totals.read) = \(totals.accepted) + \(totals.rejected) \(check).")

        out.append("")
        out.append("## Apps")
        out.append("")
        out += table(["app", "appid", "type", "platform", "records", "with unionid", "users"],
                     report.apps.map { app in
                         [app.name ?? app.appid, "`\(app.appid)`", app.type, app.platform ?? "(none)",
                          "\(app.records)", "\(app.withUnionid) (\(percent(app.unionidShare)))", "\(app.users)"]
                     })
        out.append("")
        out.append("### Overlap: users present in both apps")
        out.append("")
        let names = report.apps.map { $0.name ?? $0.appid }
        out += table([""] + names, report.overlap.enumerated().map { index, row in
            [names[index]] + row.map(String.init)
        })

        if let changes = report.changes {
            out.append("")
            out.append("## Changes since the earlier run")
            out.append("")
            out += table(["", "count"], [
                ["earlier users", "\(changes.earlierUsers)"],
                ["new users", "\(changes.new)"],
                ["kept", "\(changes.kept)"],
                ["merged (users that absorbed earlier users)", "\(changes.mergedCount)"],
                ["earlier ids now aliases", "\(changes.aliased)"],
                ["split", "\(changes.splitCount)"],
                ["gone", "\(changes.goneCount)"],
            ])
            out.append("")
            out.append("Earlier users merged, split or gone: \(fixed(changes.changedPercent, 1)) %.")
            if !changes.merged.isEmpty {
                out.append("")
                out.append("Merged" + (changes.mergedCount > changes.merged.count ? " (the first \(changes.merged.count)):" : ":"))
                out.append("")
                out += table(["user", "earlier ids now aliases of it"],
                             changes.merged.map { ["`\($0.userId)`", $0.aliases.map { "`\($0)`" }.joined(separator: ", ")] })
            }
            if !changes.split.isEmpty {
                out.append("")
                out.append("Split" + (changes.splitCount > changes.split.count ? " (the first \(changes.split.count)):" : ":"))
                out.append("")
                out += table(["earlier user", "now in (the first keeps the id)"],
                             changes.split.map { ["`\($0.earlierId)`", $0.parts.map { "`\($0)`" }.joined(separator: ", ")] })
            }
            if !changes.gone.isEmpty {
                out.append("")
                out.append("Gone" + (changes.goneCount > changes.gone.count ? " (the first \(changes.gone.count))" : "")
                           + ": " + changes.gone.map { "`\($0)`" }.joined(separator: ", "))
            }
        }

        out.append("")
        out.append("## Links per rule")
        out.append("")
        out += table(["rule", "links"], Rule.allCases.map { [$0.rawValue, "\(report.linksByRule[$0.rawValue] ?? 0)"] })

        out.append("")
        let conflicts = report.conflicts
        out.append("## Conflicts")
        out.append("")
        if conflicts.count == 0 {
            out.append("None.")
        } else {
            out.append("\(conflicts.count) (refused \(conflicts.refused), kept \(conflicts.kept))"
                       + (conflicts.count > conflicts.first.count ? "; the first \(conflicts.first.count):" : ":"))
            out.append("")
            out += table(["rule", "key", "constraint", "resolution", "record a", "record b"],
                         conflicts.first.map { conflict in
                             [conflict.rule, "`\(conflict.key)`", conflict.constraint, conflict.resolution,
                              describe(conflict.recordA), describe(conflict.recordB)]
                         })
        }

        out.append("")
        out.append("## Suggestions")
        out.append("")
        if report.suggestions.count == 0 {
            out.append("None.")
        } else {
            out.append("\(report.suggestions.count) pairs of users to review"
                       + (report.suggestions.count > report.suggestions.first.count ? "; the first \(report.suggestions.first.count):" : ":"))
            out.append("")
            out += table(["rule", "shared value", "user a", "user b"], report.suggestions.first.map {
                [$0.rule, "`\($0.key)`", "`\($0.userA)`", "`\($0.userB)`"]
            })
        }
        out.append("")
        out.append("## Generic identifiers")
        out.append("")
        if report.genericIdentifiers.isEmpty {
            out.append("None.")
        } else {
            out += table(["rule", "value", "people"], report.genericIdentifiers.map { [$0.rule, "`\($0.value)`", "\($0.people)"] })
        }
        out.append("")
        out.append("## Migrations")
        out.append("")
        if report.migrations.isEmpty {
            out.append("None.")
        } else {
            out += table(["from", "to", "records mapped", "records unmapped", "map items with errors"],
                         report.migrations.map { ["`\($0.from)`", "`\($0.to)`", "\($0.mapped)", "\($0.unmapped)", "\($0.erroredItems)"] })
        }

        out.append("")
        out.append("## Cluster sizes")
        out.append("")
        out += table(["records per user", "users"], report.clusterSizes.map { ["\($0.records)", "\($0.users)"] })

        out.append("")
        out.append("## Rejected records")
        out.append("")
        if report.rejectedByReason.isEmpty {
            out.append("None.")
        } else {
            out += table(["reason", "records"], report.rejectedByReason.map { [$0.reason, "\($0.count)"] })
            out.append("")
            out.append(totals.rejected > report.rejected.count ? "The first \(report.rejected.count):" : "Each one:")
            out.append("")
            let showsRaw = report.rejected.contains { $0.raw != nil }
            out += table(showsRaw ? ["where", "reason", "raw"] : ["where", "reason"], report.rejected.map { rejected in
                let row = [rejected.location, rejected.reason]
                return showsRaw ? row + ["`" + (rejected.raw ?? "").replacingNewlines() + "`"] : row
            })
        }

        out.append("")
        out.append("## Warnings")
        out.append("")
        if report.warnings.isEmpty {
            out.append("None.")
        } else {
            out += table(["warning", "records", "first seen"], report.warningRows)
        }
        return out.joined(separator: "\n") + "\n"
    }

    private static func describe(_ record: RunReport.RecordFacts) -> String {
        "#\(record.recordId) `\(record.appid):\(record.openid)` (\(record.location))"
    }

    private static func table(_ header: [String], _ rows: [[String]]) -> [String] {
        func line(_ cells: [String]) -> String {
            "| " + cells.map { $0.escapingPipes() }.joined(separator: " | ") + " |"
        }
        return [line(header), "|" + header.map { _ in " --- |" }.joined()] + rows.map(line)
    }

    /// A number with exactly `digits` decimals, rounded.
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale)
        let fraction = String(abs(scaled) % Int(scale))
        return "\(whole)." + String(repeating: "0", count: digits - fraction.count) + fraction
    }

    private static func percent(_ share: Double) -> String { fixed(share * 100, 1) + " %" }
}

extension String {
    func escapingPipes() -> String {
        split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|")
    }

    func replacingNewlines() -> String {
        split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "⏎")
    }
}
