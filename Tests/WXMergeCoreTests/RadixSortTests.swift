import Testing
@testable import WXMergeCore

/// The canonical order and the rules' key groups rest on this sort: it must give what a
/// comparison sort gives, keys first and ties by the comparison, on one thread or two,
/// with its own scratch or the caller's.
@Suite struct RadixSortTests {
    /// Keys with many ties (the comparison decides those) and every byte in use.
    static func items(count: Int) -> [(key: UInt64, value: Int32)] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { index in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let key = index % 3 == 0 ? state >> 52 : state
            return (key, Int32(truncatingIfNeeded: state >> 20))
        }
    }

    static func precedes(_ a: (key: UInt64, value: Int32), _ b: (key: UInt64, value: Int32)) -> Bool {
        a.key != b.key ? a.key < b.key : a.value < b.value
    }

    @Test(arguments: [false, true])
    func sortsAsAComparisonSortDoes(onTwoThreads: Bool) {
        var items = Self.items(count: 200_000)
        let expected = items.sorted(by: Self.precedes)
        items.sort(byKey: { $0.key }, thenBy: Self.precedes, onTwoThreads: onTwoThreads)
        #expect(items.elementsEqual(expected) { $0 == $1 })
    }

    @Test func sortsWithTheCallersScratchAndLeavesItReusable() {
        let scratch = UnsafeMutableBufferPointer<(key: UInt64, value: Int32)>.allocate(capacity: 300_000)
        defer { scratch.deallocate() }
        for count in [300_000, 1_000, 70_000] {
            var items = Self.items(count: count)
            let expected = items.sorted(by: Self.precedes)
            items.sort(byKey: { $0.key }, thenBy: Self.precedes, scratch: scratch)
            #expect(items.elementsEqual(expected) { $0 == $1 })
        }
    }
}
