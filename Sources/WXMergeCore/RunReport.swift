/// Every fact the report states (docs/reference.md, "report.json keys"), computed once; `report.md` and
/// `report.json` are two renderings of it. Keys are documented in the README.
public struct RunReport: Codable, Sendable {
    public struct Totals: Codable, Sendable, Equatable {
        public var read: Int
        public var accepted: Int
        public var rejected: Int
        /// `read == accepted + rejected`, checked at the end of every run.
        public var balanced: Bool
        public var accountsBefore: Int
        public var usersAfter: Int
        /// Accounts before per user after: 1.0 when nothing merged.
        public var mergeRatio: Double
    }

    public struct ReasonCount: Codable, Sendable, Equatable {
        public var reason: String
        public var count: Int
    }

    public struct RejectedRecord: Codable, Sendable, Equatable {
        public var location: String
        public var reason: String
        /// Only with `--show-values`: the raw text may hold personal data.
        public var raw: String?
    }

    public struct AppFacts: Codable, Sendable, Equatable {
        public var appid: String
        public var name: String?
        public var type: String
        public var platform: String?
        public var records: Int
        public var withUnionid: Int
        public var unionidShare: Double
        /// Users with records in this app.
        public var users: Int
    }

    public struct RecordFacts: Codable, Sendable, Equatable {
        public var recordId: Int
        public var appid: String
        public var openid: String
        public var location: String
    }

    public struct ConflictFacts: Codable, Sendable, Equatable {
        public var rule: String
        public var key: String
        public var constraint: String
        public var resolution: String
        public var recordA: RecordFacts
        public var recordB: RecordFacts
    }

    public struct Conflicts: Codable, Sendable, Equatable {
        public var count: Int
        public var refused: Int
        public var kept: Int
        /// The first 50, in the order they were found.
        public var first: [ConflictFacts]
    }

    public struct SizeCount: Codable, Sendable, Equatable {
        public var records: Int
        public var users: Int
    }

    public struct WarningFacts: Codable, Sendable, Equatable {
        public var kind: WarningKind
        public var message: String
        public var count: Int
        public var first: String
    }

    public struct SuggestionFacts: Codable, Sendable, Equatable {
        public var rule: String
        /// The shared phone or email, masked unless `--show-values`.
        public var key: String
        public var userA: String
        public var userB: String
    }

    public struct Suggestions: Codable, Sendable, Equatable {
        public var count: Int
        /// The first 50.
        public var first: [SuggestionFacts]
    }


    public struct GenericFacts: Codable, Sendable, Equatable {
        public var rule: String
        /// Masked unless `--show-values`.
        public var value: String
        public var people: Int
    }

    public var version: String
    public var job: String
    public var startedAt: String
    public var finishedAt: String
    public var durationSeconds: Double
    public var totals: Totals
    public var rejectedByReason: [ReasonCount]
    /// The first 50 rejected records.
    public var rejected: [RejectedRecord]
    /// At most `WarningTally.linesPerKind` warnings of each kind.
    public var warnings: [WarningFacts]
    /// Every warning counted, by kind, with what `warnings` leaves out.
    public var warningKinds: [WarningKindTotal]
    public var apps: [AppFacts]
    /// `overlap[i][j]`: users with records in both `apps[i]` and `apps[j]`.
    public var overlap: [[Int]]
    public var linksByRule: [String: Int]
    public var conflicts: Conflicts
    public var suggestions: Suggestions
    public var genericIdentifiers: [GenericFacts]
    public var migrations: [Migrator.Counts]
    /// Users by number of records, smallest size first.
    public var clusterSizes: [SizeCount]
    /// What changed against the earlier output; absent when there was none.
    public var changes: Changes?

    public static let listLimit = 50

    /// The warnings as the reports list them: each kind's lines, then a line for what of
    /// that kind was left out (warning, records, first seen).
    public var warningRows: [[String]] {
        warningKinds.flatMap { kind in
            warnings.filter { $0.kind == kind.kind }.map { [$0.message, "\($0.count)", $0.first] }
                + (kind.omittedLines > 0 ? [[kind.omittedText, "\(kind.omittedRecords)", ""]] : [])
        }
    }

    /// Ratios rounded, so the JSON's digits do not depend on floating-point printing.
    static func rounded(_ value: Double, _ digits: Int) -> Double {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        return (value * scale).rounded() / scale
    }

    public init(job: Job, result: Reconciliation, read: Int, rejections: [Rejection],
                warnings: [WarningTally], migrations: [Migrator.Counts] = [], version: String, startedAt: String, finishedAt: String,
                durationSeconds: Double, privacy: Privacy) {
        self.version = version
        self.job = job.path
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.durationSeconds = Self.rounded(durationSeconds, 3)
        let accepted = result.records.count
        totals = Totals(
            read: read, accepted: accepted, rejected: rejections.count,
            balanced: read == accepted + rejections.count,
            accountsBefore: result.accounts, usersAfter: result.users.count,
            mergeRatio: Self.rounded(result.users.isEmpty ? 1 : Double(result.accounts) / Double(result.users.count), 4))

        var reasons: [String: Int] = [:]
        for rejection in rejections { reasons[rejection.reason, default: 0] += 1 }
        rejectedByReason = reasons.map { ReasonCount(reason: $0.key, count: $0.value) }
            .sorted { ($1.count, $0.reason) < ($0.count, $1.reason) }
        rejected = rejections.prefix(Self.listLimit).map {
            RejectedRecord(location: $0.location.description, reason: $0.reason,
                           raw: privacy.showsValues ? $0.raw : nil)
        }
        let grouped = WarningTally.grouped(warnings)
        self.warnings = grouped.shown.map {
            WarningFacts(kind: $0.kind, message: $0.message, count: $0.count, first: $0.first.description)
        }
        warningKinds = grouped.kinds

        let appCount = job.apps.count
        var records = [Int](repeating: 0, count: appCount)
        var withUnionid = [Int](repeating: 0, count: appCount)
        for record in result.records {
            records[Int(record.app)] += 1
            if !record.unionid.isMissing { withUnionid[Int(record.app)] += 1 }
        }
        // Each user's apps as a bit set, `words` 64-bit words a user.
        let words = max(1, (appCount + 63) / 64)
        var masks = [UInt64](repeating: 0, count: result.users.count * words)
        for (record, user) in zip(result.records, result.userOf) {
            masks[Int(user) * words + Int(record.app) / 64] |= 1 << UInt64(record.app % 64)
        }
        var overlap = [[Int]](repeating: [Int](repeating: 0, count: appCount), count: appCount)
        var apps: [Int] = []
        for user in result.users.indices {
            apps.removeAll(keepingCapacity: true)
            for word in 0..<words {
                var bits = masks[user * words + word]
                while bits != 0 {
                    apps.append(word * 64 + bits.trailingZeroBitCount)
                    bits &= bits - 1
                }
            }
            for a in apps {
                for b in apps { overlap[a][b] += 1 }
            }
        }
        var sizes: [Int: Int] = [:]
        for user in result.users { sizes[Int(user.recordCount), default: 0] += 1 }
        self.overlap = overlap
        self.apps = job.apps.enumerated().map { index, app in
            AppFacts(appid: app.appid, name: app.name, type: app.type.rawValue,
                     platform: app.platform.map { job.platforms[$0].id },
                     records: records[index], withUnionid: withUnionid[index],
                     unionidShare: Self.rounded(records[index] == 0 ? 0 : Double(withUnionid[index]) / Double(records[index]), 4),
                     users: overlap[index][index])
        }
        clusterSizes = sizes.keys.sorted().map { SizeCount(records: $0, users: sizes[$0]!) }

        var links: [String: Int] = [:]
        for rule in Rule.allCases { links[rule.rawValue] = 0 }
        for link in result.links { links[link.rule.rawValue, default: 0] += 1 }
        linksByRule = links

        func facts(_ index: Int32) -> RecordFacts {
            let record = result.records[Int(index)]
            return RecordFacts(recordId: Int(index) + 1, appid: job.apps[Int(record.app)].appid,
                               openid: result.text(record.openid) ?? "",
                               location: "\(result.files[Int(record.file)]):\(record.line)")
        }
        conflicts = Conflicts(
            count: result.conflicts.count,
            refused: result.conflicts.count { $0.resolution == .refused },
            kept: result.conflicts.count { $0.resolution == .kept },
            first: result.conflicts.prefix(Self.listLimit).map { conflict in
                let key = result.key(of: conflict.rule, record: conflict.a, in: job)
                return ConflictFacts(rule: conflict.rule.rawValue,
                              key: conflict.rule.isPersonal ? privacy.mask(key) : key,
                              constraint: conflict.constraint.rawValue,
                              resolution: conflict.resolution.rawValue,
                              recordA: facts(conflict.a), recordB: facts(conflict.b))
            })
        changes = result.changes
        suggestions = Suggestions(
            count: result.suggestions.count,
            first: result.suggestions.prefix(Self.listLimit).map { suggestion in
                SuggestionFacts(rule: suggestion.rule.rawValue,
                                key: privacy.mask(result.key(of: suggestion.rule, record: suggestion.a, in: job)),
                                userA: result.users[Int(result.userOf[Int(suggestion.a)])].id.text,
                                userB: result.users[Int(result.userOf[Int(suggestion.b)])].id.text)
            })
        genericIdentifiers = result.genericIdentifiers.map { generic in
            GenericFacts(rule: generic.rule.rawValue,
                         value: privacy.mask(result.key(of: generic.rule, record: generic.record, in: job)),
                         people: generic.people)
        }
        self.migrations = migrations
    }
}
