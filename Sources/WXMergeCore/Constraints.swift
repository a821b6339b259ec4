/// The constraint a link would break (docs/reference.md, "Rules").
public enum Constraint: String, Sendable, Codable {
    case oneOpenIDPerApp = "one openid per appid"
    case oneUnionIDPerPlatform = "one unionid per platform"
}


/// A link that broke a constraint: `refused` for rules 2 and later, `kept` for rule 1.
public struct Conflict: Sendable, Equatable {
    public enum Resolution: String, Sendable, Codable {
        case refused, kept
    }

    public var rule: Rule
    public var a: Int32
    public var b: Int32
    public var constraint: Constraint
    public var resolution: Resolution

    public init(rule: Rule, a: Int32, b: Int32, constraint: Constraint, resolution: Resolution) {
        self.rule = rule
        self.a = a
        self.b = b
        self.constraint = constraint
        self.resolution = resolution
    }
}

/// What each component of the linking (a would-be person) holds that the constraints look
/// at: for every app the openids in it, for every platform the unionids in it. A link is
/// checked by merging the two components' facts.
///
/// A fact is one `UInt64`:
///
///     bits 63…32  scope: an app's index (below 2^16), or `unionidScope` (2^16) plus a
///                 platform's index
///     bits 31…0   value: the first record (canonical index) holding the same
///                 (appid, openid), or the same (platform, unionid)
///
/// Invariants: a component's facts are sorted and distinct, so a scope's facts are
/// adjacent, apps' before platforms'; both constraints hold in a component exactly when
/// no scope has two facts. They are stored at the component's root once it has more
/// than one record; a lone record's facts follow from the record itself.
struct ComponentFacts {
    /// Sorted facts of each non-singleton component, at its root; empty for singletons.
    private var stored: [[UInt64]] = []
    private var records: [Record] = []
    /// The first record of each record's (appid, openid): an id for the openid.
    private var openidGroup: [Int32] = []
    /// The first record of each record's (platform, unionid), or -1.
    private var unionidGroup: [Int32] = []

    static let unionidScope: UInt32 = 1 << 16

    init() {}

    init<Groups: Sequence<ArraySlice<Int32>>>(records: [Record], openidRuns: [Range<Int>], unionidGroups: Groups) {
        self.records = records
        stored = [[UInt64]](repeating: [], count: records.count)
        openidGroup = [Int32](repeating: 0, count: records.count)
        for run in openidRuns {
            for index in run { openidGroup[index] = Int32(run.lowerBound) }
        }
        unionidGroup = [Int32](repeating: -1, count: records.count)
        for group in unionidGroups {
            for index in group { unionidGroup[Int(index)] = group.first! }
        }
    }

    /// The facts of the component whose root is `root`.
    func facts(ofRoot root: Int32) -> [UInt64] {
        let facts = stored[Int(root)]
        if !facts.isEmpty { return facts }
        let record = records[Int(root)]
        var own = [UInt64(UInt32(record.app)) << 32 | UInt64(UInt32(openidGroup[Int(root)]))]
        let union = unionidGroup[Int(root)]
        if union >= 0 {
            own.append(UInt64(Self.unionidScope + UInt32(record.platform)) << 32 | UInt64(UInt32(union)))
        }
        return own
    }

    /// Two components became one, rooted at `root`, holding `merged`.
    mutating func joined(_ rootA: Int32, _ rootB: Int32, into root: Int32, holding merged: [UInt64]) {
        stored[Int(rootA)] = []
        stored[Int(rootB)] = []
        stored[Int(root)] = merged
    }

    /// The union of two components' sorted facts, and the constraint of the first scope
    /// (an app, or a platform offset by `unionidScope`) in which the union holds more
    /// values than either side alone.
    ///
    /// - Complexity: O(a.count + b.count).
    static func merge(_ a: [UInt64], _ b: [UInt64]) -> (merged: [UInt64], broken: Constraint?) {
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
        return (merged, broken.map { $0 < unionidScope ? .oneOpenIDPerApp : .oneUnionIDPerPlatform })
    }
}
