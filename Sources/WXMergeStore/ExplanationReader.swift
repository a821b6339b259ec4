internal import GRDB
public import WXMergeCore

/// Reads what `wxmerge explain` shows from an output database.
public struct ExplanationReader {
    public let privacy: Privacy

    public init(privacy: Privacy) {
        self.privacy = privacy
    }

    /// The users `key` leads to: a user id (or an alias of one), `appid:openid` (also as
    /// exported before a migration), or a unionid (every user holding it).
    /// - Throws: `StoreError`: missing when there is no database, cannot write when it is not a wxmerge
    ///   database this build reads.
    public func explain(_ key: String, database path: String) throws -> Explanation {
        try readingDatabase(path) { db in
            guard try db.tableExists("user_rows"),
                  try Int.fetchOne(db, sql: "PRAGMA user_version") == Schema.version else {
                throw StoreMessage.failure(StoreMessage.notAWXMergeDatabase(path))
            }
            let users = try userIDs(for: key, db)
            return Explanation(key: key, users: try users.map { try user($0, db) })
        }
    }

    private func userIDs(for key: String, _ db: Database) throws -> [String] {
        if key.hasPrefix("u_") {
            return try String.fetchAll(db, sql: """
                SELECT user_id FROM user_rows WHERE user_id = ?1
                UNION SELECT user_id FROM user_aliases WHERE old_user_id = ?1
                """, arguments: [key])
        }
        if let colon = key.firstIndex(of: ":"), key.hasPrefix("wx") {
            let appid = String(key[..<colon])
            let openid = String(key[key.index(after: colon)...])
            return try String.fetchAll(db, sql: """
                SELECT DISTINCT user_id FROM records WHERE appid = ?1 AND openid = ?2
                UNION SELECT DISTINCT user_id FROM records WHERE original_appid = ?1 AND original_openid = ?2
                ORDER BY user_id
                """, arguments: [appid, openid])
        }
        return try String.fetchAll(db, sql: "SELECT DISTINCT user_id FROM records WHERE unionid = ? ORDER BY user_id",
                                   arguments: [key])
    }

    private func user(_ id: String, _ db: Database) throws -> Explanation.ExplainedUser {
        let facts = try Row.fetchOne(db, sql: "SELECT * FROM users WHERE user_id = ?", arguments: [id])
        let records = try Row.fetchAll(db, sql: "SELECT * FROM records WHERE user_id = ? ORDER BY record_id", arguments: [id])
        let fields = try Row.fetchAll(db, sql: """
            SELECT s.field, s.record_id, s.policy, r.nickname, r.avatar_url, r.phone, r.email
            FROM survivors s JOIN records r ON r.record_id = s.record_id
            WHERE s.user_id = ? ORDER BY CASE s.field WHEN 'nickname' THEN 1 WHEN 'avatar_url' THEN 2 WHEN 'phone' THEN 3 ELSE 4 END
            """, arguments: [id]).map { row -> Explanation.Field in
                let field: String = row["field"]
                let raw: String = row[field] ?? ""
                return .init(field: field, value: field == "phone" || field == "email" ? privacy.mask(raw) : raw,
                             recordId: row["record_id"], policy: row["policy"])
            }
        let links = try Row.fetchAll(db, sql: "SELECT * FROM links WHERE user_id = ? ORDER BY rowid", arguments: [id]).map { row in
            Explanation.Edge(rule: row["rule"], key: maskedKey(row["rule"], row["key"]), recordA: row["record_a"], recordB: row["record_b"])
        }
        let recordIDs = records.map { $0["record_id"] as Int }
        let placeholders = recordIDs.map { _ in "?" }.joined(separator: ",")
        let conflicts = recordIDs.isEmpty ? [] : try Row.fetchAll(db, sql: """
            SELECT * FROM conflicts WHERE record_a IN (\(placeholders)) OR record_b IN (\(placeholders)) ORDER BY rowid
            """, arguments: StatementArguments(recordIDs + recordIDs)).map { row in
            Explanation.Edge(rule: row["rule"], key: maskedKey(row["rule"], row["key"]), recordA: row["record_a"],
                             recordB: row["record_b"], constraint: row["constraint"], resolution: row["resolution"])
        }
        let suggestions = try Row.fetchAll(db, sql: "SELECT * FROM suggestions WHERE user_a = ?1 OR user_b = ?1 ORDER BY rowid",
                                           arguments: [id]).map { row in
            Explanation.SuggestedPair(rule: row["rule"], key: maskedKey(row["rule"], row["key"]), userA: row["user_a"], userB: row["user_b"])
        }
        let aliases = try String.fetchAll(db, sql: "SELECT old_user_id FROM user_aliases WHERE user_id = ? ORDER BY old_user_id", arguments: [id])
        return Explanation.ExplainedUser(
            userId: id, aliases: aliases, recordCount: facts?["record_count"] ?? records.count,
            appCount: facts?["app_count"] ?? 0, createdAt: facts?["created_at"], updatedAt: facts?["updated_at"],
            fields: fields, records: records.map(record), links: links, conflicts: conflicts, suggestions: suggestions)
    }

    private func record(_ row: Row) -> Explanation.ExplainedRecord {
        let phone: String? = row["phone"]
        let email: String? = row["email"]
        return .init(recordId: row["record_id"], appid: row["appid"], appType: row["app_type"], openid: row["openid"],
                     unionid: row["unionid"], platform: row["platform"], source: row["source"], legacyId: row["legacy_id"],
                     nickname: row["nickname"], phone: phone.map(privacy.mask), email: email.map(privacy.mask),
                     updatedAt: row["updated_at"], location: "\(row["file"] as String):\(row["line"] as Int)",
                     originalAppid: row["original_appid"], originalOpenid: row["original_openid"])
    }

    private func maskedKey(_ rule: String, _ key: String) -> String {
        rule == Rule.phone.rawValue || rule == Rule.email.rawValue ? privacy.mask(key) : key
    }
}
