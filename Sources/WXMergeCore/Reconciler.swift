import Dispatch

/// Records in canonical order and the people they make up, known before the people's
/// surviving fields and ids are decided.
public struct LinkedRecords: Sendable {
    /// The records in canonical order, their texts, sources and files.
    public var ordered: OrderedRecords
    /// Accepted records in canonical order: `records[i]` has record_id `i + 1`.
    public var records: [Record] { ordered.records }
    public var arena: [UInt8] { ordered.arena }
    public var sources: [String] { ordered.sources }
    public var files: [String] { ordered.files }
    /// `userOf[i]` is the number (0-based) of record `i`'s user, users numbered in the
    /// order of their first record.
    public var userOf: [Int32]
    /// The records of every user in canonical order, user after user.
    var members: [Int32]
    /// Where each user's records start in `members` (one extra entry at the end).
    var userStarts: [Int32]
    public var links: [Link]
    public var conflicts: [Conflict]
    /// Pairs of users a `suggest` rule would join, in the order found.
    public var suggestions: [Suggestion]
    /// Phones and emails that never link, in rule then key order.
    public var genericIdentifiers: [GenericIdentifier]
    /// Distinct (appid, openid) pairs: the accounts before merging.
    public var accounts: Int

    /// How many users the records make up.
    public var userCount: Int { userStarts.count - 1 }
}

/// Accepted records in canonical order, before they are linked.
public struct OrderedRecords: Sendable {
    /// `records[i]` has record_id `i + 1`.
    public var records: [Record]
    /// The records' texts, in the records' order.
    public var arena: [UInt8]
    public var sources: [String]
    public var files: [String]

    public init(records: [Record], arena: [UInt8], sources: [String], files: [String]) {
        self.records = records
        self.arena = arena
        self.sources = sources
        self.files = files
    }
}

/// What reconciliation decided: records in canonical order, who is who, and why.
public struct Reconciliation: Sendable {
    public var linked: LinkedRecords
    /// Users in the order of their first record.
    public var users: [User]
    /// Every earlier id that lives on under a current user, sorted by the earlier id.
    public var aliases: [Alias]
    /// What changed against the earlier output; nil when there was none.
    public var changes: Changes?
    /// This run's id in `runs`.
    public var runID: Int

    public var records: [Record] { linked.records }
    public var arena: [UInt8] { linked.arena }
    public var sources: [String] { linked.sources }
    public var files: [String] { linked.files }
    public var userOf: [Int32] { linked.userOf }
    public var links: [Link] { linked.links }
    public var conflicts: [Conflict] { linked.conflicts }
    public var suggestions: [Suggestion] { linked.suggestions }
    public var genericIdentifiers: [GenericIdentifier] { linked.genericIdentifiers }
    public var accounts: Int { linked.accounts }

    public func text(_ ref: TextRef) -> String? {
        ref.text(in: arena)
    }

    /// The text of the key a rule links on, as the `links` and `conflicts` tables show it:
    /// `appid:openid`, `platform:unionid` or `source:legacy_id`.
    public func key(of rule: Rule, record index: Int32, in job: Job) -> String {
        let (scope, value) = keyParts(of: rule, record: index)
        return (scopeText(scope, in: job).map { $0 + ":" } ?? "") + (text(value) ?? "")
    }

    /// The parts of `key(of:record:in:)`: the scope and the value, in the arena (the value
    /// missing when the record has no key under the rule).
    public func keyParts(of rule: Rule, record index: Int32) -> (scope: KeyScope, value: TextRef) {
        guard let key = rule.definition.key(of: records[Int(index)]) else { return (.none, .missing) }
        return (key.scope, key.value)
    }

    func scopeText(_ scope: KeyScope, in job: Job) -> String? {
        switch scope {
        case .app(let app): job.apps[Int(app)].appid
        case .platform(let platform): job.platforms[Int(platform)].id
        case .source(let source): sources[Int(source)]
        case .none: nil
        }
    }
}

/// Decides which records are one person (docs/reference.md, "Rules").
///
/// Records are put in canonical order, then each rule links the records that share
/// its key: keys in byte order, each record of a key to the key's first record. A link
/// that would give a person two openids of one app or two unionids of one platform is
/// refused (rule 1's links are kept and reported). Users are then numbered in the order
/// of their first record, get their surviving fields and their ids.
///
/// - Complexity: O(n log n) for n records, dominated by the sorts.
public struct Reconciler: Sendable {
    public let job: Job

    public init(job: Job) {
        self.job = job
    }

    /// Reconciles the records of `input`, which move into the result: `input` is left
    /// empty, so a million records are never held twice.
    ///
    /// - Parameter earlier: the earlier output's users, whose ids are kept (nil for a
    ///   fresh output).
    public func reconcile(_ input: inout RecordSet, earlier: EarlierState? = nil) -> Reconciliation {
        decideUsers(link(order(&input)), earlier: earlier)
    }

    /// Puts the records of `input` (which move into the result) in canonical order, their
    /// texts copied into a new arena in that order: all that the records table needs.
    public func order(_ input: inout RecordSet) -> OrderedRecords {
        let appRank = Self.ranks(job.apps.map(\.appid))
        var records: [Record] = []
        swap(&records, &input.records)
        var arena = input.arena
        input.arena = []
        arena.withUnsafeBufferPointer { text in
            Self.sortCanonically(&records, text: text, appRank: appRank)
        }
        arena = Self.arrangeTexts(of: &records, from: arena)
        return OrderedRecords(records: records, arena: arena, sources: input.sources, files: input.files)
    }

    /// Links records in canonical order into people.
    public func link(_ ordered: OrderedRecords) -> LinkedRecords {
        let records = ordered.records
        var state = ordered.arena.withUnsafeBufferPointer { text in
            LinkState(records: records, text: text, job: job)
        }
        let (userOf, members, userStarts) = Self.components(of: &state.sets, count: records.count)
        return LinkedRecords(
            ordered: ordered, userOf: userOf, members: members, userStarts: userStarts,
            links: state.links, conflicts: state.conflicts,
            suggestions: Self.distinctPairs(state.suggestions, userOf: userOf),
            genericIdentifiers: state.genericIdentifiers, accounts: state.accounts)
    }

    /// Gives the people of `linked` their surviving fields and their ids.
    ///
    /// - Parameter earlier: the earlier output's users, whose ids are kept (nil for a
    ///   fresh output).
    public func decideUsers(_ linked: LinkedRecords, earlier: EarlierState? = nil) -> Reconciliation {
        let appRank = Self.ranks(job.apps.map(\.appid))
        let survivorship = SurvivorshipChooser(job: job, appRank: appRank)
        var users: [User] = []
        users.reserveCapacity(linked.userCount)
        for user in 0..<linked.userCount {
            let slice = linked.members[Int(linked.userStarts[user])..<Int(linked.userStarts[user + 1])]
            users.append(survivorship.user(of: slice, records: linked.records))
        }
        let ids = UserIDAssigner(job: job)
            .assign(&users, records: linked.records, arena: linked.arena, userOf: linked.userOf, earlier: earlier)
        return Reconciliation(linked: linked, users: users, aliases: ids.aliases,
                              changes: ids.changes, runID: earlier?.runID ?? 1)
    }

    /// Suggestions with each unordered pair of users once per rule: two shared phones are
    /// one pair, whichever user comes first in each phone's order. The first key (in byte
    /// order) that pairs them is kept, with its users in that key's order.
    static func distinctPairs(_ suggestions: [Suggestion], userOf: [Int32]) -> [Suggestion] {
        var seen = Set<[Int32]>()
        return suggestions.filter {
            let (a, b) = (userOf[Int($0.a)], userOf[Int($0.b)])
            return seen.insert([Int32($0.rule == .phone ? 0 : 1), min(a, b), max(a, b)]).inserted
        }
    }

    /// Numbers the components in the order of their first record.
    /// Returns each record's user, the records of every user in canonical order, and
    /// where each user's records start in that list (one extra entry at the end).
    static func components(of sets: inout UnionFind, count: Int) -> ([Int32], [Int32], [Int32]) {
        var userOf = [Int32](repeating: -1, count: count)
        var userOfRoot = [Int32](repeating: -1, count: count)
        var sizes: [Int32] = []
        for index in 0..<count {
            let root = Int(sets.find(Int32(index)))
            if userOfRoot[root] < 0 {
                userOfRoot[root] = Int32(sizes.count)
                sizes.append(0)
            }
            let user = userOfRoot[root]
            userOf[index] = user
            sizes[Int(user)] += 1
        }
        var starts = [Int32](repeating: 0, count: sizes.count + 1)
        for user in sizes.indices { starts[user + 1] = starts[user] + sizes[user] }
        var next = Array(starts.dropLast())
        var members = [Int32](repeating: 0, count: count)
        for index in 0..<count {
            let user = Int(userOf[index])
            members[Int(next[user])] = Int32(index)
            next[user] += 1
        }
        return (userOf, members, starts)
    }
}

