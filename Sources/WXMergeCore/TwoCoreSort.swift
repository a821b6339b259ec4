import Dispatch

extension Array {
    /// Sorts the array with both cores: each half is sorted on a core of its own, then
    /// the halves are merged. Stable, like `sort(by:)`.
    ///
    /// `areInIncreasingOrder` is called from two threads at once: it must only read.
    mutating func sortOnTwoCores(by areInIncreasingOrder: (Element, Element) -> Bool) {
        guard count >= 1 << 14 else {
            sort(by: areInIncreasingOrder)
            return
        }
        let middle = count / 2
        withUnsafeMutableBufferPointer { items in
            nonisolated(unsafe) let items = items
            withoutActuallyEscaping(areInIncreasingOrder) { less in
                nonisolated(unsafe) let less = less
                DispatchQueue.concurrentPerform(iterations: 2) { half in
                    var part = UnsafeMutableBufferPointer(rebasing: half == 0 ? items[..<middle] : items[middle...])
                    part.sort(by: less)
                }
            }
        }
        var merged: [Element] = []
        merged.reserveCapacity(count)
        var left = 0
        var right = middle
        while left < middle, right < count {
            // The left half wins ties: it came first.
            if areInIncreasingOrder(self[right], self[left]) {
                merged.append(self[right])
                right += 1
            } else {
                merged.append(self[left])
                left += 1
            }
        }
        merged.append(contentsOf: self[left..<middle])
        merged.append(contentsOf: self[right...])
        self = merged
    }
}
