import Testing
import WXMergeCore

@Suite struct PairwiseScoreTests {
    @Test func pairsAreCountedAgainstTheTruth() {
        // Person 0 has three records, merged into users 0, 0 and 1; person 1's record
        // was wrongly merged into user 1.
        let score = PairwiseScore([
            .init(person: 0, user: 0, keys: ["u:a"]),
            .init(person: 0, user: 0, keys: ["u:a", "l:7"]),
            .init(person: 0, user: 1, keys: []),
            .init(person: 1, user: 1, keys: []),
        ])
        #expect(score.truePairs == 3)
        #expect(score.predictedPairs == 2)
        #expect(score.correctPairs == 1)
        #expect(score.precision == 0.5)
        #expect(score.recall == 1.0 / 3.0)
        // Only the first two records of person 0 share a key.
        #expect(score.reachablePairs == 1)
    }

    @Test func aKeySharedWithAnotherPersonDoesNotRaiseTheCeiling() {
        let score = PairwiseScore([
            .init(person: 0, user: 0, keys: ["p:1"]),
            .init(person: 1, user: 1, keys: ["p:1"]),
            .init(person: 0, user: 2, keys: []),
        ])
        #expect(score.reachablePairs == 0)
        #expect(score.ceiling == 0)
    }
}
