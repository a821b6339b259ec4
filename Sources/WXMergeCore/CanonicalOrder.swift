import Dispatch

/// Canonical order (docs/reference.md, "Rules"): the order records are numbered, linked and reported in.
extension Reconciler {
    /// Rank of each string in byte order.
    static func ranks(_ strings: [String]) -> [Int32] {
        var ranks = [Int32](repeating: 0, count: strings.count)
        for (rank, index) in strings.indices.sorted(by: { strings[$0].precedesInByteOrder(strings[$1]) }).enumerated() {
            ranks[index] = Int32(rank)
        }
        return ranks
    }

    /// Sorts records by (appid, openid, unionid, source, legacy_id, updated_at,
    /// created_at, file, position), missing first.
    ///
    /// Sorts 4-byte indexes rather than the records, then moves each record once along
    /// the permutation's cycles: no second copy of the records is ever held.
    ///
    /// - Complexity: O(n log n) comparisons, O(n) moves.
    static func sortCanonically(_ records: inout [Record], text: UnsafeBufferPointer<UInt8>, appRank: [Int32]) {
        // Most records differ in the app or the openid's first bytes: sort 16-byte
        // (prefix, index) pairs by prefix, and look at the records only when prefixes tie.
        var keyed = records.indices.map { index in
            let record = records[index]
            return (prefix: UInt64(UInt8(truncatingIfNeeded: appRank[Int(record.app)])) << 56 | textPrefix(record.openid, text, bytes: 7),
                    index: Int32(index))
        }
        records.withUnsafeBufferPointer { records in
            let precedes = { (x: (prefix: UInt64, index: Int32), y: (prefix: UInt64, index: Int32)) -> Bool in
                let a = records[Int(x.index)]
                let b = records[Int(y.index)]
                if a.app != b.app { return appRank[Int(a.app)] < appRank[Int(b.app)] }
                var order = compareText(a.openid, b.openid, text)
                if order != 0 { return order < 0 }
                order = compareText(a.unionid, b.unionid, text)
                if order != 0 { return order < 0 }
                if a.source != b.source { return a.source < b.source }
                order = compareText(a.legacyID, b.legacyID, text)
                if order != 0 { return order < 0 }
                if a.updatedAt != b.updatedAt { return a.updatedAt < b.updatedAt }
                if a.createdAt != b.createdAt { return a.createdAt < b.createdAt }
                if a.file != b.file { return a.file < b.file }
                return a.ordinal < b.ordinal
            }
            // The prefix holds the app's rank only while there are at most 256 apps. Both
            // cores are free here: the parse is over, linking not yet begun.
            if appRank.count <= 256 {
                keyed.sort(byKey: { $0.prefix }, thenBy: precedes, onTwoThreads: true)
            } else {
                keyed.sort(by: precedes)
            }
        }
        var order = keyed.map(\.index)
        keyed = []
        // Position p must receive records[order[p]]; follow each cycle once.
        for start in order.indices where order[start] >= 0 && Int(order[start]) != start {
            let saved = records[start]
            var position = start
            while true {
                let source = Int(order[position])
                order[position] = -1
                if source == start {
                    records[position] = saved
                    break
                }
                records[position] = records[source]
                position = source
            }
        }
    }

    /// A new arena holding the records' texts in the records' order, each record's
    /// texts together. Parsing left them in file order; once the records are in
    /// canonical order, every pass over them would otherwise read its texts at random,
    /// a cache miss each.
    ///
    /// The two halves of the records are done at once, the second's texts placed after
    /// the first's.
    static func arrangeTexts(of records: inout [Record], from old: [UInt8]) -> [UInt8] {
        func bytes(_ record: Record) -> Int {
            func bytes(_ ref: TextRef) -> Int { ref.isMissing ? 0 : Int(ref.length) }
            return bytes(record.openid) + bytes(record.unionid) + bytes(record.legacyID) + bytes(record.phoneKey)
                + bytes(record.emailKey) + bytes(record.originalOpenID)
        }
        let middle = records.count / 2
        let starts = [0, records[..<middle].reduce(0) { $0 + bytes($1) }]
        let total = records[middle...].reduce(starts[1]) { $0 + bytes($1) }
        return old.withUnsafeBufferPointer { old in
            records.withUnsafeMutableBufferPointer { records in
                [UInt8](unsafeUninitializedCapacity: max(total, 1)) { arena, count in
                    nonisolated(unsafe) let (old, records, arena) = (old, records, arena)
                    DispatchQueue.concurrentPerform(iterations: 2) { half in
                        var end = starts[half]
                        func move(_ ref: inout TextRef) {
                            guard !ref.isMissing else { return }
                            if ref.length > 0 {
                                UnsafeMutableRawPointer(arena.baseAddress! + end)
                                    .copyMemory(from: old.baseAddress! + Int(ref.offset), byteCount: Int(ref.length))
                            }
                            ref.offset = UInt32(end)
                            end += Int(ref.length)
                        }
                        for index in half == 0 ? 0..<middle : middle..<records.count {
                            move(&records[index].openid)
                            move(&records[index].unionid)
                            move(&records[index].legacyID)
                            move(&records[index].phoneKey)
                            move(&records[index].emailKey)
                            move(&records[index].originalOpenID)
                        }
                    }
                    count = total
                }
            }
        }
    }

    /// The first `bytes` bytes of a text as a big-endian number, zero-padded (missing
    /// texts are 0): comparing prefixes never contradicts `compareText`.
    @inline(__always)
    static func textPrefix(_ ref: TextRef, _ text: UnsafeBufferPointer<UInt8>, bytes: Int) -> UInt64 {
        guard !ref.isMissing else { return 0 }
        var value: UInt64 = 0
        let count = min(Int(ref.length), bytes)
        let base = text.baseAddress! + Int(ref.offset)
        for index in 0..<bytes {
            value = value << 8 | UInt64(index < count ? base[index] : 0)
        }
        return value
    }

    /// Byte order of two arena texts, missing first: negative, zero or positive.
    @inline(__always)
    static func compareText(_ a: TextRef, _ b: TextRef, _ text: UnsafeBufferPointer<UInt8>) -> Int {
        if a.isMissing || b.isMissing {
            return a.isMissing == b.isMissing ? 0 : (a.isMissing ? -1 : 1)
        }
        let common = Int(min(a.length, b.length))
        let base = text.baseAddress!
        let result = memcmpBytes(base + Int(a.offset), base + Int(b.offset), common)
        if result != 0 { return result }
        return Int(a.length) - Int(b.length)
    }

    @inline(__always)
    static func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Int {
        var index = 0
        while index < count {
            if a[index] != b[index] { return Int(a[index]) - Int(b[index]) }
            index += 1
        }
        return 0
    }
}
