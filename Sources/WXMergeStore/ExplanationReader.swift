public import WXMergeCore

/// Reads what `wxmerge explain` shows from an output database.
public struct ExplanationReader {
    public let privacy: Privacy

    public init(privacy: Privacy) {
        self.privacy = privacy
    }

    /// The users `key` leads to: a user id (or an alias of one), `appid:openid` (also as
    /// exported before a migration), or a unionid (every user holding it).
    package func explain(_ key: String, in output: any OutputQueries) throws -> Explanation {
        let users = try userIDs(for: key, output)
        return Explanation(key: key, users: try users.map { try user($0, output) })
    }

    private func userIDs(for key: String, _ output: any OutputQueries) throws -> [String] {
        let rows: [TextRow]
        if key.hasPrefix("u_") {
            rows = try output.rows("""
                SELECT user_id FROM user_rows WHERE user_id = $1
                UNION SELECT user_id FROM user_aliases WHERE old_user_id = $1
                """, [key])
        } else if let colon = key.firstIndex(of: ":"), key.hasPrefix("wx") {
            let appid = String(key[..<colon])
            let openid = String(key[key.index(after: colon)...])
            rows = try output.rows("""
                SELECT DISTINCT user_id FROM records WHERE appid = $1 AND openid = $2
                UNION SELECT DISTINCT user_id FROM records WHERE original_appid = $1 AND original_openid = $2
                ORDER BY user_id
                """, [appid, openid])
        } else {
            rows = try output.rows("SELECT DISTINCT user_id FROM records WHERE unionid = $1 ORDER BY user_id", [key])
        }
        return rows.compactMap { $0[0] }
    }

    private func user(_ id: String, _ output: any OutputQueries) throws -> Explanation.ExplainedUser {
        let order = output.writtenOrder
        let facts = try output.rows("SELECT * FROM users WHERE user_id = $1", [id]).first
        let records = try output.rows("SELECT * FROM records WHERE user_id = $1 ORDER BY record_id", [id])
        let fields = try output.rows("""
            SELECT s.field, s.record_id, s.policy, r.nickname, r.avatar_url, r.phone, r.email
            FROM survivors s JOIN records r ON r.record_id = s.record_id
            WHERE s.user_id = $1 ORDER BY CASE s.field WHEN 'nickname' THEN 1 WHEN 'avatar_url' THEN 2 WHEN 'phone' THEN 3 ELSE 4 END
            """, [id]).map { row -> Explanation.Field in
                let field = row["field"] ?? ""
                let raw = row[field] ?? ""
                return .init(field: field, value: field == "phone" || field == "email" ? privacy.mask(raw) : raw,
                             recordId: row.int("record_id") ?? 0, policy: row["policy"] ?? "")
            }
        let links = try output.rows("SELECT * FROM links WHERE user_id = $1 ORDER BY \(order)", [id]).map { row in
            Explanation.Edge(rule: row["rule"] ?? "", key: maskedKey(row["rule"], row["key"]),
                             recordA: row.int("record_a") ?? 0, recordB: row.int("record_b") ?? 0)
        }
        let recordIDs = records.compactMap { $0["record_id"] }
        let placeholders = recordIDs.indices.map { "$\($0 + 1)" }.joined(separator: ",")
        let conflicts = recordIDs.isEmpty ? [] : try output.rows("""
            SELECT * FROM conflicts WHERE record_a IN (\(placeholders)) OR record_b IN (\(placeholders)) ORDER BY \(order)
            """, recordIDs).map { row in
            Explanation.Edge(rule: row["rule"] ?? "", key: maskedKey(row["rule"], row["key"]),
                             recordA: row.int("record_a") ?? 0, recordB: row.int("record_b") ?? 0,
                             constraint: row["constraint"], resolution: row["resolution"])
        }
        let suggestions = try output.rows("SELECT * FROM suggestions WHERE user_a = $1 OR user_b = $1 ORDER BY \(order)",
                                          [id]).map { row in
            Explanation.SuggestedPair(rule: row["rule"] ?? "", key: maskedKey(row["rule"], row["key"]),
                                      userA: row["user_a"] ?? "", userB: row["user_b"] ?? "")
        }
        let aliases = try output.rows("SELECT old_user_id FROM user_aliases WHERE user_id = $1 ORDER BY old_user_id", [id])
            .compactMap { $0[0] }
        return Explanation.ExplainedUser(
            userId: id, aliases: aliases, recordCount: facts?.int("record_count") ?? records.count,
            appCount: facts?.int("app_count") ?? 0, createdAt: facts?["created_at"], updatedAt: facts?["updated_at"],
            fields: fields, records: records.map(record), links: links, conflicts: conflicts, suggestions: suggestions)
    }

    private func record(_ row: TextRow) -> Explanation.ExplainedRecord {
        .init(recordId: row.int("record_id") ?? 0, appid: row["appid"] ?? "", appType: row["app_type"] ?? "",
              openid: row["openid"] ?? "", unionid: row["unionid"], platform: row["platform"], source: row["source"] ?? "",
              legacyId: row["legacy_id"], nickname: row["nickname"], phone: row["phone"].map(privacy.mask),
              email: row["email"].map(privacy.mask), updatedAt: row["updated_at"],
              location: "\(row["file"] ?? ""):\(row["line"] ?? "")",
              originalAppid: row["original_appid"], originalOpenid: row["original_openid"])
    }

    private func maskedKey(_ rule: String?, _ key: String?) -> String {
        let key = key ?? ""
        return rule == Rule.phone.rawValue || rule == Rule.email.rawValue ? privacy.mask(key) : key
    }
}
