internal import GRDB
public import WXMergeCore

/// Reads an output database's records with their users and the keys the job's rules
/// use, joined to a truth file (`file,index,person`, as `generate` writes), for scoring.
public struct ScoreReader {
    public let rules: Rules

    public init(rules: Rules) {
        self.rules = rules
    }

    public func items(database path: String, truth: [String: Int32]) throws -> [PairwiseScore.Item] {
        try readingDatabase(path) { db in
            var users: [String: Int32] = [:]
            var items: [PairwiseScore.Item] = []
            let rows = try Row.fetchCursor(db, sql: """
                SELECT file, position, user_id, appid, openid, unionid, platform, source, legacy_id,
                       phone, phone_verified, email
                FROM records
                """)
            while let row = try rows.next() {
                let file: String = row[0]
                let position: Int = row[1]
                guard let person = truth["\(file),\(position)"] else { continue }
                let userID: String = row[2]
                let user = users[userID] ?? Int32(users.count)
                users[userID] = user
                var keys = ["o:\(row[3] as String):\(row[4] as String)"]
                if rules.unionid, let unionid: String = row[5], let platform: String = row[6] {
                    keys.append("u:\(platform):\(unionid)")
                }
                if rules.legacyAccount, let legacy: String = row[8] { keys.append("l:\(row[7] as String):\(legacy)") }
                if let phone: String = row[9], phone.hasPrefix("+"),
                   rules.phone == .any || (rules.phone == .verified && (row[10] as Int) == 1) {
                    keys.append("p:" + phone)
                }
                if rules.email == .on, let email: String = row[11], let normalised = Normalization.email(email) {
                    keys.append("e:" + normalised)
                }
                items.append(.init(person: person, user: user, keys: keys))
            }
            return items
        }
    }

    /// How many records each input file held, accepted or rejected, as the database says.
    public func recordsByFile(database path: String) throws -> [String: Int] {
        try readingDatabase(path) { db in
            var counts: [String: Int] = [:]
            for table in ["record_rows", "rejected"] {
                for row in try Row.fetchAll(db, sql: "SELECT file, count(*) FROM \(table) GROUP BY file") {
                    counts[row[0], default: 0] += row[1] as Int
                }
            }
            return counts
        }
    }
}
