public import WXMergeCore
import Foundation

/// `wxmerge explain` for people (plain text) and for machines (JSON).
public enum ExplanationText {
    public static func json(_ explanation: Explanation) throws -> String {
        try JSONReport.encode(explanation)
    }

    public static func render(_ explanation: Explanation) -> String {
        var out: [String] = []
        if explanation.users.count > 1 {
            out.append("'\(explanation.key)' leads to \(explanation.users.count) users.")
            out.append("")
        }
        for (index, user) in explanation.users.enumerated() {
            if index > 0 { out += ["", String(repeating: "-", count: 60), ""] }
            out += render(user)
        }
        return out.joined(separator: "\n") + "\n"
    }

    private static func render(_ user: Explanation.ExplainedUser) -> [String] {
        var out: [String] = []
        out.append("user \(user.userId): \(user.recordCount) record\(user.recordCount == 1 ? "" : "s") in \(user.appCount) app\(user.appCount == 1 ? "" : "s")"
                   + ", created \(user.createdAt ?? "unknown"), updated \(user.updatedAt ?? "unknown")")
        if !user.aliases.isEmpty { out.append("  also known as \(user.aliases.joined(separator: ", "))") }
        let width = (user.fields.map(\.field.count).max() ?? 0) + 2
        for field in user.fields {
            out.append("  " + field.field.padding(toLength: width, withPad: " ", startingAt: 0)
                       + field.value + "   (record #\(field.recordId), \(field.policy))")
        }

        out.append("")
        out.append("records:")
        let byID = Dictionary(uniqueKeysWithValues: user.records.map { ($0.recordId, $0) })
        for record in user.records {
            var parts = ["#\(record.recordId)", "\(record.appid):\(record.openid)", record.appType]
            if let unionid = record.unionid { parts.append("unionid \(record.platform.map { $0 + ":" } ?? "")\(unionid)") }
            parts.append("source \(record.source)" + (record.legacyId.map { " legacy_id \($0)" } ?? ""))
            if let nickname = record.nickname { parts.append("nickname '\(nickname)'") }
            if let phone = record.phone { parts.append("phone \(phone)") }
            if let email = record.email { parts.append("email \(email)") }
            if let original = record.originalOpenid { parts.append("migrated from \(record.originalAppid ?? ""):\(original)") }
            parts.append(record.location)
            out.append("  " + parts.joined(separator: "  "))
        }

        out.append("")
        out.append("how they became one user:")
        out += tree(user, byID: byID)

        out.append("")
        if user.conflicts.isEmpty {
            out.append("conflicts: none")
        } else {
            out.append("conflicts:")
            for conflict in user.conflicts {
                out.append("  \(conflict.rule) \(conflict.key): #\(conflict.recordA) and #\(conflict.recordB) "
                           + "would break '\(conflict.constraint ?? "")': \(conflict.resolution ?? "")")
            }
        }
        if user.suggestions.isEmpty {
            out.append("suggestions: none")
        } else {
            out.append("suggestions:")
            for pair in user.suggestions {
                out.append("  \(pair.rule) \(pair.key): \(pair.userA) and \(pair.userB) might be one person")
            }
        }
        return out
    }

    /// The links as a tree from the first record, one edge a line, so a reader can
    /// follow any record to any other.
    private static func tree(_ user: Explanation.ExplainedUser, byID: [Int: Explanation.ExplainedRecord]) -> [String] {
        guard let root = user.records.first?.recordId else { return [] }
        var neighbours: [Int: [(Int, Explanation.Edge)]] = [:]
        for link in user.links {
            neighbours[link.recordA, default: []].append((link.recordB, link))
            neighbours[link.recordB, default: []].append((link.recordA, link))
        }
        func name(_ id: Int) -> String {
            guard let record = byID[id] else { return "#\(id)" }
            return "#\(id) \(record.appid):\(record.openid)"
        }
        var lines = ["  " + name(root)]
        var seen: Set<Int> = [root]
        func visit(_ node: Int, _ prefix: String) {
            let children = (neighbours[node] ?? []).filter { !seen.contains($0.0) }.sorted { $0.0 < $1.0 }
            for (index, (child, edge)) in children.enumerated() {
                seen.insert(child)
                let isLast = index == children.count - 1
                lines.append("  " + prefix + (isLast ? "└─ " : "├─ ") + "\(edge.rule) \(edge.key) ─ " + name(child))
                visit(child, prefix + (isLast ? "   " : "│  "))
            }
        }
        visit(root, "")
        if user.records.count == 1 { lines.append("  (one record: nothing to link)") }
        return lines
    }
}
