/// Disjoint sets over the integers `0..<count`: which records are one person.
///
/// Union by size and path halving keep every operation at amortized O(α(n)), the
/// inverse Ackermann function, which is below 5 for any n a computer holds.
/// Storage is two `Int32` arrays: 8 bytes an element.
public struct UnionFind: Sendable {
    private var parent: [Int32]
    private var size: [Int32]

    /// - Complexity: O(n)
    public init(count: Int) {
        parent = (0..<Int32(count)).map { $0 }
        size = [Int32](repeating: 1, count: count)
    }

    /// The representative of the set holding `element`.
    ///
    /// - Complexity: amortized O(α(n))
    public mutating func find(_ element: Int32) -> Int32 {
        var node = element
        while parent[Int(node)] != node {
            let grandparent = parent[Int(parent[Int(node)])]
            parent[Int(node)] = grandparent
            node = grandparent
        }
        return node
    }

    /// Joins the sets whose representatives are `a` and `b` (which must differ) and
    /// returns the new representative: the root of the larger set.
    ///
    /// - Complexity: O(1)
    @discardableResult
    public mutating func unionRoots(_ a: Int32, _ b: Int32) -> Int32 {
        let (big, small) = size[Int(a)] >= size[Int(b)] ? (a, b) : (b, a)
        parent[Int(small)] = big
        size[Int(big)] += size[Int(small)]
        return big
    }

    /// The number of elements in the set whose representative is `root`.
    public func count(ofRoot root: Int32) -> Int {
        Int(size[Int(root)])
    }
}
