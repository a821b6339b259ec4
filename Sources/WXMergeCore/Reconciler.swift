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

    /// What comes before the colon in a key: an app's appid, a platform's id, a source.
    public enum KeyScope: Sendable {
        case app(Int32), platform(Int32), source(Int32)
        /// Phones and emails stand alone.
        case none
    }

    /// The parts of `key(of:record:in:)`: the scope and the value, in the arena.
    public func keyParts(of rule: Rule, record index: Int32) -> (scope: KeyScope, value: TextRef) {
        let record = records[Int(index)]
        switch rule {
        case .openid: return (.app(record.app), record.openid)
        case .unionid: return (.platform(record.platform), record.unionid)
        case .legacyAccount: return (.source(record.source), record.legacyID)
        case .phone: return (.none, record.phoneKey)
        case .email: return (.none, record.emailKey)
        }
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

/// Decides which records are one person (SPEC §3).
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

    /// Rank of each string in byte order.
    static func ranks(_ strings: [String]) -> [Int32] {
        var ranks = [Int32](repeating: 0, count: strings.count)
        for (rank, index) in strings.indices.sorted(by: { strings[$0].precedesInByteOrder(strings[$1]) }).enumerated() {
            ranks[index] = Int32(rank)
        }
        return ranks
    }

    /// Sorts records by (appid, openid, unionid, source, legacy_id, updated_at,
    /// created_at, file, position), missing first.
    ///
    /// Sorts 4-byte indexes rather than the records, then moves each record once along
    /// the permutation's cycles: no second copy of the records is ever held.
    ///
    /// - Complexity: O(n log n) comparisons, O(n) moves.
    static func sortCanonically(_ records: inout [Record], text: UnsafeBufferPointer<UInt8>, appRank: [Int32]) {
        // Most records differ in the app or the openid's first bytes: sort 16-byte
        // (prefix, index) pairs by prefix, and look at the records only when prefixes tie.
        var keyed = records.indices.map { index in
            let record = records[index]
            return (prefix: UInt64(UInt8(truncatingIfNeeded: appRank[Int(record.app)])) << 56 | textPrefix(record.openid, text, bytes: 7),
                    index: Int32(index))
        }
        records.withUnsafeBufferPointer { records in
            let precedes = { (x: (prefix: UInt64, index: Int32), y: (prefix: UInt64, index: Int32)) -> Bool in
                let a = records[Int(x.index)]
                let b = records[Int(y.index)]
                if a.app != b.app { return appRank[Int(a.app)] < appRank[Int(b.app)] }
                var order = compareText(a.openid, b.openid, text)
                if order != 0 { return order < 0 }
                order = compareText(a.unionid, b.unionid, text)
                if order != 0 { return order < 0 }
                if a.source != b.source { return a.source < b.source }
                order = compareText(a.legacyID, b.legacyID, text)
                if order != 0 { return order < 0 }
                if a.updatedAt != b.updatedAt { return a.updatedAt < b.updatedAt }
                if a.createdAt != b.createdAt { return a.createdAt < b.createdAt }
                if a.file != b.file { return a.file < b.file }
                return a.ordinal < b.ordinal
            }
            // The prefix holds the app's rank only while there are at most 256 apps. Both
            // cores are free here: the parse is over, linking not yet begun.
            if appRank.count <= 256 {
                keyed.sort(byKey: { $0.prefix }, thenBy: precedes, onTwoThreads: true)
            } else {
                keyed.sort(by: precedes)
            }
        }
        var order = keyed.map(\.index)
        keyed = []
        // Position p must receive records[order[p]]; follow each cycle once.
        for start in order.indices where order[start] >= 0 && Int(order[start]) != start {
            let saved = records[start]
            var position = start
            while true {
                let source = Int(order[position])
                order[position] = -1
                if source == start {
                    records[position] = saved
                    break
                }
                records[position] = records[source]
                position = source
            }
        }
    }

    /// A new arena holding the records' texts in the records' order, each record's
    /// texts together. Parsing left them in file order; once the records are in
    /// canonical order, every pass over them would otherwise read its texts at random,
    /// a cache miss each.
    ///
    /// The two halves of the records are done at once, the second's texts placed after
    /// the first's.
    static func arrangeTexts(of records: inout [Record], from old: [UInt8]) -> [UInt8] {
        func bytes(_ record: Record) -> Int {
            func bytes(_ ref: TextRef) -> Int { ref.isMissing ? 0 : Int(ref.length) }
            return bytes(record.openid) + bytes(record.unionid) + bytes(record.legacyID) + bytes(record.phoneKey)
                + bytes(record.emailKey) + bytes(record.originalOpenID)
        }
        let middle = records.count / 2
        let starts = [0, records[..<middle].reduce(0) { $0 + bytes($1) }]
        let total = records[middle...].reduce(starts[1]) { $0 + bytes($1) }
        return old.withUnsafeBufferPointer { old in
            records.withUnsafeMutableBufferPointer { records in
                [UInt8](unsafeUninitializedCapacity: max(total, 1)) { arena, count in
                    nonisolated(unsafe) let (old, records, arena) = (old, records, arena)
                    DispatchQueue.concurrentPerform(iterations: 2) { half in
                        var end = starts[half]
                        func move(_ ref: inout TextRef) {
                            guard !ref.isMissing else { return }
                            if ref.length > 0 {
                                UnsafeMutableRawPointer(arena.baseAddress! + end)
                                    .copyMemory(from: old.baseAddress! + Int(ref.offset), byteCount: Int(ref.length))
                            }
                            ref.offset = UInt32(end)
                            end += Int(ref.length)
                        }
                        for index in half == 0 ? 0..<middle : middle..<records.count {
                            move(&records[index].openid)
                            move(&records[index].unionid)
                            move(&records[index].legacyID)
                            move(&records[index].phoneKey)
                            move(&records[index].emailKey)
                            move(&records[index].originalOpenID)
                        }
                    }
                    count = total
                }
            }
        }
    }

    /// The first `bytes` bytes of a text as a big-endian number, zero-padded (missing
    /// texts are 0): comparing prefixes never contradicts `compareText`.
    @inline(__always)
    static func textPrefix(_ ref: TextRef, _ text: UnsafeBufferPointer<UInt8>, bytes: Int) -> UInt64 {
        guard !ref.isMissing else { return 0 }
        var value: UInt64 = 0
        let count = min(Int(ref.length), bytes)
        let base = text.baseAddress! + Int(ref.offset)
        for index in 0..<bytes {
            value = value << 8 | UInt64(index < count ? base[index] : 0)
        }
        return value
    }

    /// Byte order of two arena texts, missing first: negative, zero or positive.
    @inline(__always)
    static func compareText(_ a: TextRef, _ b: TextRef, _ text: UnsafeBufferPointer<UInt8>) -> Int {
        if a.isMissing || b.isMissing {
            return a.isMissing == b.isMissing ? 0 : (a.isMissing ? -1 : 1)
        }
        let common = Int(min(a.length, b.length))
        let base = text.baseAddress!
        let result = memcmpBytes(base + Int(a.offset), base + Int(b.offset), common)
        if result != 0 { return result }
        return Int(a.length) - Int(b.length)
    }

    @inline(__always)
    static func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Int {
        var index = 0
        while index < count {
            if a[index] != b[index] { return Int(a[index]) - Int(b[index]) }
            index += 1
        }
        return 0
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

/// The links made so far, and the facts each component holds that the constraints
/// look at: for every app the openids in it, for every platform the unionids in it.
struct LinkState {
    var sets = UnionFind(count: 0)
    var links: [Link] = []
    var conflicts: [Conflict] = []
    var suggestions: [Suggestion] = []
    var genericIdentifiers: [GenericIdentifier] = []
    var accounts = 0
    /// The first record of each record's (appid, openid): an id for the openid.
    private var openidGroup: [Int32] = []
    /// The first record of each record's (platform, unionid), or -1.
    private var unionidGroup: [Int32] = []
    /// Sorted facts of each non-singleton component, at its root; empty for singletons,
    /// whose facts follow from their one record.
    private var facts: [[UInt64]] = []
    private var records: [Record] = []

    init() {}

    init(records: [Record], text: UnsafeBufferPointer<UInt8>, job: Job) {
        self.records = records
        sets = UnionFind(count: records.count)
        facts = [[UInt64]](repeating: [], count: records.count)
        let openidRuns = Self.openidRuns(records, text: text)
        accounts = openidRuns.count
        openidGroup = [Int32](repeating: 0, count: records.count)
        for run in openidRuns {
            for index in run { openidGroup[index] = Int32(run.lowerBound) }
        }
        let workspace = KeyWorkspace(capacity: records.count)
        let unionidKeys = Self.keyGroups(records, text: text, in: workspace) { record in
            record.platform >= 0 && !record.unionid.isMissing ? (record.platform, record.unionid) : nil
        }
        unionidGroup = [Int32](repeating: -1, count: records.count)
        for group in unionidKeys.groups {
            for index in group { unionidGroup[Int(index)] = group.first! }
        }

        for run in openidRuns {
            link(.openid, records: run.lazy.map { Int32($0) })
        }
        if job.rules.unionid {
            for group in unionidKeys.groups {
                link(.unionid, records: group)
            }
        }
        if job.rules.legacyAccount {
            let legacyKeys = Self.keyGroups(records, text: text, in: workspace) { record in
                record.legacyID.isMissing ? nil : (record.source, record.legacyID)
            }
            for group in legacyKeys.groups {
                link(.legacyAccount, records: group)
            }
        }
        linkByContact(records, text: text, rules: job.rules, workspace: workspace)
    }

    /// Rules 4 and 5, phone then email: generic values are found first (after rules 1 to
    /// 3, over every normalised value), then the rules link or suggest.
    private mutating func linkByContact(_ records: [Record], text: UnsafeBufferPointer<UInt8>, rules: Rules,
                                        workspace: KeyWorkspace) {
        let settings: [(rule: Rule, isOn: Bool, isSuggest: Bool)] = [
            (.phone, rules.phone == .verified || rules.phone == .any, rules.phone == .suggest),
            (.email, rules.email == .on, rules.email == .suggest),
        ]
        var pending: [(rule: Rule, groups: KeyGroups, isGeneric: [Bool], isSuggest: Bool)] = []
        for (rule, isOn, isSuggest) in settings where isOn || isSuggest {
            let groups = Self.keyGroups(records, text: text, in: workspace) { record in
                let key = rule == .phone ? record.phoneKey : record.emailKey
                return key.isMissing ? nil : (0, key)
            }
            var isGeneric: [Bool] = []
            var roots: [Int32] = []
            for group in groups.groups {
                roots.removeAll(keepingCapacity: true)
                for member in group { roots.append(sets.find(member)) }
                let people = Set(roots).count
                let first = group.first!
                let key = records[Int(first)]
                let isPlaceholder = rule == .phone
                    ? Self.isPlaceholderPhone(key.phoneKey, text) : Self.isPlaceholderEmail(key.emailKey, text)
                let generic = isPlaceholder || people > rules.genericLimit
                if generic { genericIdentifiers.append(GenericIdentifier(rule: rule, record: first, people: people)) }
                isGeneric.append(generic)
            }
            pending.append((rule, groups, isGeneric, isSuggest))
        }
        for (rule, groups, isGeneric, isSuggest) in pending where !isSuggest {
            let verifiedOnly = rule == .phone && rules.phone == .verified
            for (index, group) in groups.groups.enumerated() where !isGeneric[index] {
                link(rule, records: verifiedOnly ? group.filter { records[Int($0)].fields.contains(.phoneVerified) } : Array(group))
            }
        }
        for (rule, groups, isGeneric, isSuggest) in pending where isSuggest {
            for (index, group) in groups.groups.enumerated() where !isGeneric[index] {
                suggest(rule, records: group)
            }
        }
    }

    /// A Chinese mobile whose last 8 digits are one repeated digit (`+8613800000000`).
    private static func isPlaceholderPhone(_ key: TextRef, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard key.length == 14 else { return false }
        let bytes = UnsafeBufferPointer(rebasing: text[Int(key.offset)..<Int(key.offset) + 14])
        guard bytes[0] == UInt8(ascii: "+"), bytes[1] == UInt8(ascii: "8"), bytes[2] == UInt8(ascii: "6") else { return false }
        return bytes[6...].allSatisfy { $0 == bytes[6] }
    }

    /// An address at example.com, example.org or test.com.
    private static func isPlaceholderEmail(_ key: TextRef, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let bytes = Array(text[Int(key.offset)..<Int(key.offset) + Int(key.length)])
        guard let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { return false }
        let domain = String(decoding: bytes[(at + 1)...], as: UTF8.self)
        return ["example.com", "example.org", "test.com"].contains(domain)
    }

    /// Pairs each other user holding one key with the key's first user, unless a
    /// constraint would refuse joining them; links nothing.
    private mutating func suggest<Members: Collection<Int32>>(_ rule: Rule, records group: Members) {
        guard let first = group.first else { return }
        let firstRoot = sets.find(first)
        var seen: Set<Int32> = [firstRoot]
        for other in group.dropFirst() {
            let root = sets.find(other)
            guard seen.insert(root).inserted else { continue }
            guard Self.merge(facts(ofRoot: firstRoot), facts(ofRoot: root)).1 == nil else { continue }
            suggestions.append(Suggestion(rule: rule, a: first, b: other))
        }
    }

    /// Runs of records with the same (appid, openid): adjacent in canonical order.
    private static func openidRuns(_ records: [Record], text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        guard !records.isEmpty else { return [] }
        var runs: [Range<Int>] = []
        runs.reserveCapacity(records.count)
        var start = 0
        for index in 1...records.count where index == records.count
            || records[index].app != records[start].app
            || Reconciler.compareText(records[index].openid, records[start].openid, text) != 0 {
            runs.append(start..<index)
            start = index
        }
        return runs
    }

    /// Records grouped by a (scope, text) key: keys in byte order, the records of one
    /// key in canonical order.
    struct KeyGroups {
        var members: [Int32] = []
        var starts: [Int] = []

        var groups: some Sequence<ArraySlice<Int32>> {
            starts.indices.lazy.map { group in
                members[starts[group]..<(group + 1 < starts.count ? starts[group + 1] : members.count)]
            }
        }
    }

    /// A key to sort by: (scope, first 6 bytes) packed in one number, then the whole text.
    typealias Keyed = (prefix: UInt64, scope: Int32, text: TextRef, record: Int32)

    /// Room for every record's key and the sort's scratch, used by one rule after the
    /// other: made afresh for each, they cost some 30 more fresh huge pages at a million
    /// people, and fresh pages are not free.
    final class KeyWorkspace {
        var keyed: [Keyed] = []
        let scratch: UnsafeMutableBufferPointer<Keyed>

        init(capacity: Int) {
            keyed.reserveCapacity(capacity)
            scratch = .allocate(capacity: capacity)
        }

        deinit {
            scratch.deallocate()
        }
    }

    private static func keyGroups(_ records: [Record], text: UnsafeBufferPointer<UInt8>, in workspace: KeyWorkspace,
                                  key: (Record) -> (Int32, TextRef)?) -> KeyGroups {
        var keyed: [Keyed] = []
        swap(&keyed, &workspace.keyed)
        defer { swap(&keyed, &workspace.keyed) }
        keyed.removeAll(keepingCapacity: true)
        for (index, record) in records.enumerated() {
            if let (scope, ref) = key(record) {
                let prefix = UInt64(UInt16(clamping: scope)) << 48 | Reconciler.textPrefix(ref, text, bytes: 6)
                keyed.append((prefix, scope, ref, Int32(index)))
            }
        }
        let precedes = { (a: Keyed, b: Keyed) -> Bool in
            if a.prefix != b.prefix, a.scope < 0xFFFF, b.scope < 0xFFFF { return a.prefix < b.prefix }
            if a.scope != b.scope { return a.scope < b.scope }
            let order = Reconciler.compareText(a.text, b.text, text)
            return order != 0 ? order < 0 : a.record < b.record
        }
        // The prefix holds the scope only while scopes are under 0xFFFF.
        if keyed.allSatisfy({ $0.scope < 0xFFFF }) {
            keyed.sort(byKey: { $0.prefix }, thenBy: precedes, scratch: workspace.scratch)
        } else {
            keyed.sort(by: precedes)
        }
        var result = KeyGroups()
        result.members = keyed.map(\.record)
        result.starts.reserveCapacity(keyed.count)
        for index in keyed.indices where index == 0
            || keyed[index].scope != keyed[index - 1].scope
            || keyed[index].prefix != keyed[index - 1].prefix
            || Reconciler.compareText(keyed[index].text, keyed[index - 1].text, text) != 0 {
            result.starts.append(index)
        }
        return result
    }

    /// Links every record of one key to the key's first record.
    private mutating func link<Members: Collection<Int32>>(_ rule: Rule, records group: Members) {
        guard let first = group.first else { return }
        for other in group.dropFirst() {
            let rootA = sets.find(first)
            let rootB = sets.find(other)
            guard rootA != rootB else { continue }
            let factsA = facts(ofRoot: rootA)
            let factsB = facts(ofRoot: rootB)
            let (merged, broken) = Self.merge(factsA, factsB)
            if let broken {
                let constraint: Constraint = broken < Self.unionidScope ? .oneOpenIDPerApp : .oneUnionIDPerPlatform
                let isKept = rule == .openid
                conflicts.append(Conflict(rule: rule, a: first, b: other, constraint: constraint,
                                          resolution: isKept ? .kept : .refused))
                guard isKept else { continue }
            }
            let root = sets.unionRoots(rootA, rootB)
            facts[Int(rootA)] = []
            facts[Int(rootB)] = []
            facts[Int(root)] = merged
            links.append(Link(rule: rule, a: first, b: other))
        }
    }

    private static let unionidScope: UInt32 = 1 << 16

    private func facts(ofRoot root: Int32) -> [UInt64] {
        let stored = facts[Int(root)]
        if !stored.isEmpty { return stored }
        let record = records[Int(root)]
        var own = [UInt64(UInt32(record.app)) << 32 | UInt64(UInt32(openidGroup[Int(root)]))]
        let union = unionidGroup[Int(root)]
        if union >= 0 {
            own.append(UInt64(Self.unionidScope + UInt32(record.platform)) << 32 | UInt64(UInt32(union)))
        }
        return own
    }

    /// The union of two components' sorted facts, and the first scope (an app, or a
    /// platform offset by `unionidScope`) in which the union holds more values than
    /// either side alone.
    static func merge(_ a: [UInt64], _ b: [UInt64]) -> ([UInt64], UInt32?) {
        var merged: [UInt64] = []
        merged.reserveCapacity(a.count + b.count)
        var broken: UInt32?
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            let scope = UInt32(truncatingIfNeeded: min(i < a.count ? a[i] : .max, j < b.count ? b[j] : .max) >> 32)
            var countA = 0
            var countB = 0
            var countUnion = 0
            while i < a.count || j < b.count {
                let nextA = i < a.count && UInt32(truncatingIfNeeded: a[i] >> 32) == scope ? a[i] : nil
                let nextB = j < b.count && UInt32(truncatingIfNeeded: b[j] >> 32) == scope ? b[j] : nil
                guard nextA != nil || nextB != nil else { break }
                if let x = nextA, nextB == nil || x <= nextB! {
                    merged.append(x)
                    countA += 1
                    i += 1
                    if let y = nextB, y == x {
                        countB += 1
                        j += 1
                    }
                } else {
                    merged.append(nextB!)
                    countB += 1
                    j += 1
                }
                countUnion += 1
            }
            if broken == nil, countUnion > max(countA, countB) {
                broken = scope
            }
        }
        return (merged, broken)
    }
}
