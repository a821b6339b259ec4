import Testing
import WXMergeCore

@Suite struct GapWorkTests {
    @Test func valuesComeInTheOrderTheWorkWasGiven() throws {
        let work = GapWork.start((0..<50).map { index in { @Sendable in index * index } })
        #expect(try work.values() == (0..<50).map { $0 * $0 })
    }

    @Test func theFirstItemThatFailsIsThrown() {
        struct Failure: Error, Equatable { let index: Int }
        let work = GapWork.start((0..<10).map { index in
            { @Sendable () throws -> Int in
                if index == 3 || index == 7 { throw Failure(index: index) }
                return index
            }
        })
        #expect(throws: Failure(index: 3)) { try work.values() }
    }
}
