/// Pairwise accuracy of a merge against a truth (which records are one person):
/// precision, recall and F1 over pairs of records, and the recall ceiling.
///
/// The ceiling is the share of true pairs whose records are connected, inside their
/// person, through keys the enabled rules use: no merge by those rules can find more.
/// Pairs are counted over the records that are both in the truth and accepted.
public struct PairwiseScore: Sendable, Equatable {
    public var records: Int
    public var truePairs: Int
    public var predictedPairs: Int
    public var correctPairs: Int
    public var reachablePairs: Int

    public var precision: Double { predictedPairs == 0 ? 1 : Double(correctPairs) / Double(predictedPairs) }
    public var recall: Double { truePairs == 0 ? 1 : Double(correctPairs) / Double(truePairs) }
    public var f1: Double { precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall) }
    public var ceiling: Double { truePairs == 0 ? 1 : Double(reachablePairs) / Double(truePairs) }

    /// A scored record: its true person, its user, and its keys (any strings; two
    /// records sharing one are connected).
    public struct Item {
        public var person: Int32
        public var user: Int32
        public var keys: [String]

        public init(person: Int32, user: Int32, keys: [String]) {
            self.person = person
            self.user = user
            self.keys = keys
        }
    }

    /// - Complexity: O(n log n) for n records.
    public init(_ items: [Item]) {
        func pairs(_ count: Int) -> Int { count * (count - 1) / 2 }
        records = items.count
        var byPerson: [Int32: Int] = [:]
        var byUser: [Int32: Int] = [:]
        var byBoth: [Int64: Int] = [:]
        for item in items {
            byPerson[item.person, default: 0] += 1
            byUser[item.user, default: 0] += 1
            byBoth[Int64(item.person) << 32 | Int64(UInt32(bitPattern: item.user)), default: 0] += 1
        }
        truePairs = byPerson.values.reduce(0) { $0 + pairs($1) }
        predictedPairs = byUser.values.reduce(0) { $0 + pairs($1) }
        correctPairs = byBoth.values.reduce(0) { $0 + pairs($1) }

        // Connect each person's records through shared keys.
        var sets = UnionFind(count: items.count)
        var firstHolder: [String: Int32] = [:]
        for (index, item) in items.enumerated() {
            for key in item.keys {
                let scoped = "\(item.person)\u{1}" + key
                if let first = firstHolder[scoped] {
                    let a = sets.find(first)
                    let b = sets.find(Int32(index))
                    if a != b { sets.unionRoots(a, b) }
                } else {
                    firstHolder[scoped] = Int32(index)
                }
            }
        }
        var componentSizes: [Int32: Int] = [:]
        for index in items.indices { componentSizes[sets.find(Int32(index)), default: 0] += 1 }
        reachablePairs = componentSizes.values.reduce(0) { $0 + pairs($1) }
    }
}
