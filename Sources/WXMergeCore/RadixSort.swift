import Dispatch

extension Array where Element: BitwiseCopyable {
    /// Sorts the array by `key`, then each run of elements with equal keys by
    /// `areInIncreasingOrder`, which must order elements of different keys as their
    /// keys are ordered.
    ///
    /// The keys are sorted a byte at a time, least significant first (a byte every key
    /// shares is skipped): at most eight passes over the array, where a comparison sort
    /// of a million elements makes twenty comparisons an element, each a call through
    /// the closure and often a cache miss. Stable, like `sort(by:)`.
    ///
    /// - Parameters:
    ///   - onTwoThreads: sort each half on a thread of its own, then merge them, the front
    ///     half of the result on one thread and the back half on the other: for a sort
    ///     that has both cores to itself.
    ///   - scratch: room for at least `count` elements, for a caller that sorts several
    ///     arrays in turn (memory touched for the first time is not free). The sort on two
    ///     threads uses the buffer it merges into instead.
    mutating func sort(byKey key: (Element) -> UInt64, thenBy areInIncreasingOrder: (Element, Element) -> Bool,
                       onTwoThreads: Bool = false, scratch: UnsafeMutableBufferPointer<Element>? = nil) {
        guard count > 1 else { return }
        guard onTwoThreads, count >= 1 << 16 else {
            withUnsafeMutableBufferPointer { items in
                if let scratch, scratch.count >= items.count {
                    Self.radixSort(items, byKey: key, thenBy: areInIncreasingOrder, scratch: scratch)
                } else {
                    let scratch = UnsafeMutableBufferPointer<Element>.allocate(capacity: items.count)
                    defer { scratch.deallocate() }
                    Self.radixSort(items, byKey: key, thenBy: areInIncreasingOrder, scratch: scratch)
                }
            }
            return
        }
        withoutActuallyEscaping(key) { key in
            withoutActuallyEscaping(areInIncreasingOrder) { areInIncreasingOrder in
                withUnsafeMutableBufferPointer { items in
                    nonisolated(unsafe) let (items, key, areInIncreasingOrder) = (items, key, areInIncreasingOrder)
                    let middle = items.count / 2
                    let merged = UnsafeMutableBufferPointer<Element>.allocate(capacity: items.count)
                    defer { merged.deallocate() }
                    nonisolated(unsafe) let halves = merged
                    DispatchQueue.concurrentPerform(iterations: 2) { half in
                        let range = half == 0 ? 0..<middle : middle..<items.count
                        Self.radixSort(UnsafeMutableBufferPointer(rebasing: items[range]),
                                       byKey: key, thenBy: areInIncreasingOrder,
                                       scratch: UnsafeMutableBufferPointer(rebasing: halves[range]))
                    }
                    nonisolated(unsafe) let target = merged
                    nonisolated(unsafe) let precedes = { (a: Element, b: Element) -> Bool in
                        let (keyA, keyB) = (key(a), key(b))
                        return keyA != keyB ? keyA < keyB : areInIncreasingOrder(a, b)
                    }
                    DispatchQueue.concurrentPerform(iterations: 2) { end in
                        // The front thread takes the smaller of the two halves' next
                        // elements (the first half's on a tie, as a stable sort would),
                        // the back thread the larger of their last (the second half's on
                        // a tie), each until its half of the result is full.
                        var (left, right) = end == 0 ? (0, middle) : (middle - 1, items.count - 1)
                        if end == 0 {
                            for position in 0..<middle {
                                let takesRight = left == middle || (right < items.count && precedes(items[right], items[left]))
                                target.initializeElement(at: position, to: takesRight ? items[right] : items[left])
                                if takesRight { right += 1 } else { left += 1 }
                            }
                        } else {
                            for position in (middle..<items.count).reversed() {
                                let takesLeft = right < middle || (left >= 0 && precedes(items[right], items[left]))
                                target.initializeElement(at: position, to: takesLeft ? items[left] : items[right])
                                if takesLeft { left -= 1 } else { right -= 1 }
                            }
                        }
                    }
                    _ = items.update(fromContentsOf: merged)
                }
            }
        }
    }

    /// Sorts `items` as `sort(byKey:thenBy:)` says, on the calling thread.
    private static func radixSort(_ items: UnsafeMutableBufferPointer<Element>, byKey key: (Element) -> UInt64,
                                  thenBy areInIncreasingOrder: (Element, Element) -> Bool,
                                  scratch: UnsafeMutableBufferPointer<Element>) {
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
        var source = items
        var target = UnsafeMutableBufferPointer(rebasing: scratch[..<count])
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
