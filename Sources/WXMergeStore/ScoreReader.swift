public import WXMergeCore

/// Reads an output database's records with their users and the keys the job's rules
/// use, joined to a truth file (`file,index,person`, as `generate` writes), for scoring.
public struct ScoreReader {
    public let rules: Rules

    public init(rules: Rules) {
        self.rules = rules
    }

    package func items(in output: any OutputQueries, truth: [String: Int32]) throws -> [PairwiseScore.Item] {
        var users: [String: Int32] = [:]
        var items: [PairwiseScore.Item] = []
        try output.forEachRow("""
            SELECT file, position, user_id, appid, openid, unionid, platform, source, legacy_id,
                   phone, phone_verified, email
            FROM records
            """, []) { row in
            guard let file = row[0], let position = row[1], let person = truth["\(file),\(position)"],
                  let userID = row[2], let appid = row[3], let openid = row[4] else { return }
            let user = users[userID] ?? Int32(users.count)
            users[userID] = user
            var keys = ["o:\(appid):\(openid)"]
            if rules.unionid, let unionid = row[5], let platform = row[6] {
                keys.append("u:\(platform):\(unionid)")
            }
            if rules.legacyAccount, let legacy = row[8], let source = row[7] { keys.append("l:\(source):\(legacy)") }
            if let phone = row[9], phone.hasPrefix("+"),
               rules.phone == .any || (rules.phone == .verified && row[10] == "1") {
                keys.append("p:" + phone)
            }
            if rules.email == .on, let email = row[11], let normalised = Normalization.email(email) {
                keys.append("e:" + normalised)
            }
            items.append(.init(person: person, user: user, keys: keys))
        }
        return items
    }

    /// How many records each input file held, accepted or rejected, as the output says.
    package func recordsByFile(in output: any OutputQueries) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in ["record_rows", "rejected"] {
            try output.forEachRow("SELECT file, count(*) FROM \(table) GROUP BY file", []) { row in
                counts[row[0] ?? "", default: 0] += Int(row[1] ?? "") ?? 0
            }
        }
        return counts
    }
}
