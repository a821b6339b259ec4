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

@Suite struct UserIDTests {
    @Test func idsReadBackFromTheirText() throws {
        let id = UserID(high: 0x2b9a_4613_f05c_2bc8, low: 0x330b_2b8b)
        #expect(id.text == "u_2b9a4613f05c2bc8330b2b8b")
        #expect(UserID(text: id.text) == id)
        #expect(UserID(text: "u_2b9a4613f05c2bc8330b2b8") == nil)
        #expect(UserID(text: "u_2B9A4613F05C2BC8330B2B8B") == nil)
        #expect(UserID(text: "x_2b9a4613f05c2bc8330b2b8b") == nil)
    }
}
