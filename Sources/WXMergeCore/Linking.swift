/// Linking (docs/reference.md, "Rules"): each rule in turn joins the records that share its key, unless the
/// join would break a constraint; the links made, the conflicts and the suggestions.
///
/// Keys are visited in byte order, the records of a key in canonical order, each linked
/// to the key's first record: so the links, and which of two conflicting links is
/// refused, depend on the records alone, never on the files' order.
///
/// - Complexity: O(n log n) for n records (the sorts of each rule's keys), plus the
///   constraint checks, each O(facts of the two components joined).
struct LinkState {
    var sets = UnionFind(count: 0)
    var links: [Link] = []
    var conflicts: [Conflict] = []
    var suggestions: [Suggestion] = []
    var genericIdentifiers: [GenericIdentifier] = []
    var accounts = 0
    /// What each component holds that the constraints look at.
    private var facts = ComponentFacts()

    init() {}

    init(records: [Record], text: UnsafeBufferPointer<UInt8>, job: Job) {
        sets = UnionFind(count: records.count)
        let openidRuns = Self.openidRuns(records, text: text)
        accounts = openidRuns.count
        let workspace = KeyWorkspace(capacity: records.count)
        // The unionid groups are the constraints' facts whether or not rule 2 links.
        let unionidKeys = Self.keyGroups(of: UnionIDRule.self, records, text: text, in: workspace)
        facts = ComponentFacts(records: records, openidRuns: openidRuns, unionidGroups: unionidKeys.groups)

        for run in openidRuns {
            link(.openid, records: run.lazy.map { Int32($0) })
        }
        if case .links = UnionIDRule.setting(in: job.rules) {
            for group in unionidKeys.groups {
                link(.unionid, records: group)
            }
        }
        if case .links = LegacyAccountRule.setting(in: job.rules) {
            for group in Self.keyGroups(of: LegacyAccountRule.self, records, text: text, in: workspace).groups {
                link(.legacyAccount, records: group)
            }
        }
        linkByContact(records, text: text, rules: job.rules, workspace: workspace)
    }

    /// Rules 4 and 5, phone then email: generic values are found first (after rules 1 to
    /// 3, over every normalised value), then the rules link, then they suggest.
    private mutating func linkByContact(_ records: [Record], text: UnsafeBufferPointer<UInt8>, rules: Rules,
                                        workspace: KeyWorkspace) {
        var pending: [(rule: Rule, setting: RuleSetting, groups: KeyGroups, isGeneric: [Bool])] = []
        for definition: any ContactRule.Type in [PhoneRule.self, EmailRule.self] {
            let setting = definition.setting(in: rules)
            if case .off = setting { continue }
            let groups = Self.keyGroups(of: definition, records, text: text, in: workspace)
            var isGeneric: [Bool] = []
            var roots: [Int32] = []
            for group in groups.groups {
                roots.removeAll(keepingCapacity: true)
                for member in group { roots.append(sets.find(member)) }
                let people = Set(roots).count
                let first = group.first!
                let generic = definition.isPlaceholder(definition.key(of: records[Int(first)])!.value, in: text)
                    || people > rules.genericLimit
                if generic { genericIdentifiers.append(GenericIdentifier(rule: definition.rule, record: first, people: people)) }
                isGeneric.append(generic)
            }
            pending.append((definition.rule, setting, groups, isGeneric))
        }
        for (rule, setting, groups, isGeneric) in pending {
            for (index, group) in groups.groups.enumerated() where !isGeneric[index] {
                switch setting {
                case .links: link(rule, records: Array(group))
                case .linksOnly(let passes): link(rule, records: group.filter { passes(records[Int($0)]) })
                case .suggests, .off: break
                }
            }
        }
        for (rule, setting, groups, isGeneric) in pending {
            guard case .suggests = setting else { continue }
            for (index, group) in groups.groups.enumerated() where !isGeneric[index] {
                suggest(rule, records: group)
            }
        }
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
            guard ComponentFacts.merge(facts.facts(ofRoot: firstRoot), facts.facts(ofRoot: root)).broken == nil else { continue }
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

    /// A record's key under one rule, as the rule's keys are sorted.
    ///
    /// `prefix`: bits 63…48 the scope's number (clamped to 0xFFFF), bits 47…0 the value's
    /// first 6 bytes, big-endian, zero-padded (0 for a missing value). Comparing prefixes
    /// never contradicts comparing (scope, text) while every scope is below 0xFFFF, so the
    /// keys are radix-sorted by prefix and compared in full only where prefixes tie;
    /// otherwise they are sorted by comparison. Ties of the whole key go by record, so a
    /// key's records are in canonical order.
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

    /// Groups the records by their key under `rule`.
    private static func keyGroups<Definition: LinkingRule>(
        of rule: Definition.Type, _ records: [Record], text: UnsafeBufferPointer<UInt8>, in workspace: KeyWorkspace
    ) -> KeyGroups {
        keyGroups(records, text: text, in: workspace) { record in
            Definition.key(of: record).map { ($0.scope.number, $0.value) }
        }
    }

    /// Links every record of one key to the key's first record.
    private mutating func link<Members: Collection<Int32>>(_ rule: Rule, records group: Members) {
        guard let first = group.first else { return }
        for other in group.dropFirst() {
            let rootA = sets.find(first)
            let rootB = sets.find(other)
            guard rootA != rootB else { continue }
            let (merged, broken) = ComponentFacts.merge(facts.facts(ofRoot: rootA), facts.facts(ofRoot: rootB))
            if let broken {
                let resolution = rule.definition.whenConstraintBroken
                conflicts.append(Conflict(rule: rule, a: first, b: other, constraint: broken, resolution: resolution))
                guard resolution == .kept else { continue }
            }
            let root = sets.unionRoots(rootA, rootB)
            facts.joined(rootA, rootB, into: root, holding: merged)
            links.append(Link(rule: rule, a: first, b: other))
        }
    }
}
