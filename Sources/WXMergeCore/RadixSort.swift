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
    /// - Parameter onTwoThreads: sort each half on a thread of its own, then merge them,
    ///   the front half of the result on one thread and the back half on the other: for
    ///   a sort that has both cores to itself.
    mutating func sort(byKey key: (Element) -> UInt64, thenBy areInIncreasingOrder: (Element, Element) -> Bool,
                       onTwoThreads: Bool = false) {
        guard count > 1 else { return }
        guard onTwoThreads, count >= 1 << 16 else {
            withUnsafeMutableBufferPointer { Self.radixSort($0, byKey: key, thenBy: areInIncreasingOrder) }
            return
        }
        withoutActuallyEscaping(key) { key in
            withoutActuallyEscaping(areInIncreasingOrder) { areInIncreasingOrder in
                withUnsafeMutableBufferPointer { items in
                    nonisolated(unsafe) let (items, key, areInIncreasingOrder) = (items, key, areInIncreasingOrder)
                    let middle = items.count / 2
                    DispatchQueue.concurrentPerform(iterations: 2) { half in
                        Self.radixSort(UnsafeMutableBufferPointer(rebasing: half == 0 ? items[..<middle] : items[middle...]),
                                       byKey: key, thenBy: areInIncreasingOrder)
                    }
                    let merged = UnsafeMutableBufferPointer<Element>.allocate(capacity: items.count)
                    defer { merged.deallocate() }
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
                                  thenBy areInIncreasingOrder: (Element, Element) -> Bool) {
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
