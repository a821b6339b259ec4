extension Array where Element: BitwiseCopyable {
    /// Sorts the array by `key`, then each run of elements with equal keys by
    /// `areInIncreasingOrder`, which must order elements of different keys as their
    /// keys are ordered.
    ///
    /// The keys are sorted a byte at a time, least significant first (a byte every key
    /// shares is skipped): at most eight passes over the array, where a comparison sort
    /// of a million elements makes twenty comparisons an element, each a call through
    /// the closure and often a cache miss. Stable, like `sort(by:)`.
    mutating func sort(byKey key: (Element) -> UInt64, thenBy areInIncreasingOrder: (Element, Element) -> Bool) {
        guard count > 1 else { return }
        withUnsafeMutableBufferPointer { items in
            let count = items.count
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: 8 * 256)
            counts.initialize(repeating: 0, count: 8 * 256)
            defer { counts.deallocate() }
            for element in items {
                let value = key(element)
                for byte in 0..<8 {
                    counts[byte << 8 | Int(truncatingIfNeeded: value >> UInt64(byte * 8)) & 0xFF] += 1
                }
            }
            let scratch = UnsafeMutableBufferPointer<Element>.allocate(capacity: count)
            defer { scratch.deallocate() }
            var source = items
            var target = scratch
            for byte in 0..<8 {
                let offsets = counts + byte << 8
                if (0..<256).contains(where: { offsets[$0] == count }) { continue }
                var offset = 0
                for digit in 0..<256 {
                    let digitCount = offsets[digit]
                    offsets[digit] = offset
                    offset += digitCount
                }
                let shift = UInt64(byte * 8)
                for element in source {
                    let digit = Int(truncatingIfNeeded: key(element) >> shift) & 0xFF
                    target.initializeElement(at: offsets[digit], to: element)
                    offsets[digit] += 1
                }
                swap(&source, &target)
            }
            if source.baseAddress != items.baseAddress {
                _ = items.update(fromContentsOf: source)
            }
            var start = 0
            while start < count {
                let value = key(items[start])
                var end = start + 1
                while end < count, key(items[end]) == value { end += 1 }
                if end - start > 1 {
                    var run = UnsafeMutableBufferPointer(rebasing: items[start..<end])
                    run.sort(by: areInIncreasingOrder)
                }
                start = end
            }
        }
    }
}
