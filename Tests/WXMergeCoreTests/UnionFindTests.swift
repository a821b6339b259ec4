import Testing
import WXMergeCore

@Suite struct UnionFindTests {
    @Test func unionJoinsSetsAndFindAgrees() {
        var sets = UnionFind(count: 6)
        sets.unionRoots(sets.find(0), sets.find(1))
        sets.unionRoots(sets.find(2), sets.find(3))
        sets.unionRoots(sets.find(1), sets.find(3))
        #expect(sets.find(0) == sets.find(2))
        #expect(sets.find(4) != sets.find(0))
        #expect(sets.count(ofRoot: sets.find(3)) == 4)
    }

    @Test func theLargerSetKeepsItsRoot() {
        var sets = UnionFind(count: 4)
        let big = sets.unionRoots(0, 1)
        #expect(sets.unionRoots(2, big) == big)
    }
}
