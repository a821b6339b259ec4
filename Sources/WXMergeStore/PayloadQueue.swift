import Dispatch
import Synchronization
package import WXMergeCore

/// The records' payloads, read from the spools in the order the records are written,
/// into a few chunks of memory, by a thread of its own, which also writes out their
/// times as text.
///
/// Records are written in canonical order, which visits the spools out of order but
/// keeps to one of their buckets for thousands of records (see `PayloadSpool`): the
/// spools' blocks are read whole into a `BlockCache`. The core that runs SQLite is the
/// busy one, so the other one reads (beside the records being linked and the users
/// decided): a chunk of payloads at a time, ahead of the writer, which takes the chunks
/// in order and binds the fields where they lie. A chunk is refilled only once the
/// writer has moved past it, after every statement that used it has run. The blocks are
/// read with `pread`, not through a mapping: the kernel maps 64 KB around every page
/// fault, so a mapping read out of order would hold most of the spool in the process's
/// memory.
package final class PayloadQueue: @unchecked Sendable {
    /// Records a chunk; a multiple of the rows a batched insert runs at once, so a chunk
    /// ends where a statement does.
    static let recordsPerChunk = 4096
    private static let slots = 3
    private static let fieldCount = PayloadField.allCases.count

    /// One chunk's payloads, and per record and field where its bytes start and how
    /// many there are (`UInt32.max` for none).
    fileprivate final class Chunk {
        var bytes: UnsafeMutablePointer<UInt8>
        var capacity = 1 << 20
        var count = 0
        let fields: UnsafeMutablePointer<(start: UInt32, count: UInt32)>
        /// Per record, `created_at` then `updated_at` as text (`Normalization.timeLength`
        /// bytes each), or nil.
        let times: UnsafeMutablePointer<UInt8>
        let hasTime: UnsafeMutablePointer<Bool>

        init() {
            bytes = .allocate(capacity: capacity)
            fields = .allocate(capacity: PayloadQueue.recordsPerChunk * PayloadQueue.fieldCount)
            times = .allocate(capacity: PayloadQueue.recordsPerChunk * 2 * Normalization.timeLength)
            hasTime = .allocate(capacity: PayloadQueue.recordsPerChunk * 2)
        }

        deinit {
            bytes.deallocate()
            fields.deallocate()
            times.deallocate()
            hasTime.deallocate()
        }

        /// Writes out time `which` (0 created, 1 updated) of the chunk's record `record`.
        func write(_ seconds: Int64, record: Int, which: Int) {
            let slot = record * 2 + which
            hasTime[slot] = seconds != Record.noTime
            if hasTime[slot] {
                Normalization.writeTime(seconds, to: times + slot * Normalization.timeLength)
            }
        }

        /// Copies the payload at `ref` after the chunk's bytes and notes where its fields
        /// are, from field slot `slot` on; an abbreviated avatar is written out in full
        /// after it.
        func read(_ ref: PayloadRef, from blocks: BlockCache, at slot: Int) throws {
            let prefix = PayloadSpool.avatarPrefix
            reserve(2 * Int(ref.length) + prefix.utf8CodeUnitCount)  // the payload, then its avatar in full
            (bytes + count).update(from: try blocks.payload(ref).assumingMemoryBound(to: UInt8.self), count: Int(ref.length))
            var field = slot
            let start = count
            count += PayloadSpool.forEachField(at: bytes + start) { offset, length in
                fields[field] = (UInt32(start + offset), length.map(UInt32.init) ?? UInt32.max)
                field += 1
            }
            let avatar = slot + PayloadField.avatarURL.rawValue
            let (avatarStart, avatarCount) = (Int(fields[avatar].start), fields[avatar].count)
            guard avatarCount != UInt32.max else { return }
            let (isAbbreviated, own) = PayloadSpool.avatar(at: bytes + avatarStart, count: Int(avatarCount))
            if isAbbreviated {
                let length = prefix.utf8CodeUnitCount
                (bytes + count).update(from: prefix.utf8Start, count: length)
                (bytes + count + length).update(from: bytes + avatarStart + own.lowerBound, count: own.count)
                fields[avatar] = (UInt32(count), UInt32(length + own.count))
                count += length + own.count
            } else {
                fields[avatar] = (UInt32(avatarStart + own.lowerBound), UInt32(own.count))
            }
        }

        /// Makes room for `added` more bytes.
        private func reserve(_ added: Int) {
            guard count + added > capacity else { return }
            capacity = max(capacity * 2, count + added)
            let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
            larger.update(from: bytes, count: count)
            bytes.deallocate()
            bytes = larger
        }
    }

    private let chunks = (0..<PayloadQueue.slots).map { _ in Chunk() }
    private let ready = (0..<PayloadQueue.slots).map { _ in DispatchSemaphore(value: 0) }
    private let free = (0..<PayloadQueue.slots).map { _ in DispatchSemaphore(value: 1) }
    private let stopped = Atomic<Bool>(false)
    private let failure = Locked<SpoolError?>(nil)
    private var current = -1

    /// Starts reading the payloads of `records` in their order.
    package init(records: [Record], spools: [PayloadSpool]) {
        _ = Background { self.read(records, spools) }
    }

    private func read(_ records: [Record], _ spools: [PayloadSpool]) {
        let blocks = BlockCache(spools: spools)
        for chunkStart in stride(from: 0, to: records.count, by: Self.recordsPerChunk) {
            let slot = chunkStart / Self.recordsPerChunk % Self.slots
            free[slot].wait()
            if stopped.load(ordering: .acquiring) { return }
            let chunk = chunks[slot]
            chunk.count = 0
            do {
                for index in chunkStart..<min(chunkStart + Self.recordsPerChunk, records.count) {
                    let record = records[index]
                    try chunk.read(record.payload, from: blocks, at: (index - chunkStart) * Self.fieldCount)
                    chunk.write(record.createdAt, record: index - chunkStart, which: 0)
                    chunk.write(record.updatedAt, record: index - chunkStart, which: 1)
                }
            } catch {
                failure.withLock { $0 = error as? SpoolError }
                ready[slot].signal()
                return
            }
            ready[slot].signal()
        }
    }

    /// The payload of record `index`, asked for in order from 0; valid until a record
    /// of another chunk is asked for.
    /// - Throws: the `SpoolError` of a spool that could not be read.
    package func payload(_ index: Int) throws -> Fields {
        let chunkIndex = index / Self.recordsPerChunk
        if chunkIndex != current {
            if current >= 0 { free[current % Self.slots].signal() }
            ready[chunkIndex % Self.slots].wait()
            if let failure = failure.withLock({ $0 }) { throw failure }
            current = chunkIndex
        }
        return Fields(chunk: chunks[chunkIndex % Self.slots], record: index % Self.recordsPerChunk)
    }

    /// Lets the reading thread end early, when the writer stops before the last record.
    package func stop() {
        stopped.store(true, ordering: .releasing)
        for semaphore in free { semaphore.signal() }
    }

    package struct Fields {
        fileprivate let chunk: Chunk
        fileprivate let record: Int

        package subscript(field: PayloadField) -> UnsafeBufferPointer<UInt8>? {
            let (start, count) = chunk.fields[record * PayloadQueue.fieldCount + field.rawValue]
            return count == UInt32.max ? nil : UnsafeBufferPointer(start: chunk.bytes + Int(start), count: Int(count))
        }

        var createdAt: UnsafeBufferPointer<UInt8>? { time(0) }
        var updatedAt: UnsafeBufferPointer<UInt8>? { time(1) }

        private func time(_ which: Int) -> UnsafeBufferPointer<UInt8>? {
            let slot = record * 2 + which
            guard chunk.hasTime[slot] else { return nil }
            return UnsafeBufferPointer(start: chunk.times + slot * Normalization.timeLength, count: Normalization.timeLength)
        }
    }
}

/// The spools' blocks last read, whole, up to a few megabytes: the records come in
/// canonical order, which keeps to a spool bucket for thousands of records at a time, so
/// most payloads are in a block already read for an earlier record. A block read per
/// miss, instead of a read per record (a million and a half `pread`s at a million people,
/// about 1.2 s of the second core).
///
/// Openids that do not follow the bucketing (say, ones whose first byte varies) would
/// make most blocks be read for one payload each: whenever whole blocks have brought in
/// more than twice the bytes asked for (and a cache's worth), a miss reads just its
/// payload.
final class BlockCache {
    private let spools: [PayloadSpool]
    @exclusivity(unchecked)  // touched once per payload, by the one thread that reads the spools
    private var blocks: [UInt64: UnsafeMutableRawBufferPointer] = [:]
    /// Keys in the order read, the oldest at `oldest`.
    @exclusivity(unchecked)  // touched once per payload, by the one thread that reads the spools
    private var order: [UInt64] = []
    @exclusivity(unchecked)  // touched once per payload, by the one thread that reads the spools
    private var oldest = 0
    @exclusivity(unchecked)  // touched once per payload, by the one thread that reads the spools
    private var bytes = 0
    /// Bytes read from the spools, and bytes of the payloads asked for.
    @exclusivity(unchecked)  // touched once per payload, by the one thread that reads the spools
    private var bytesRead = 0
    @exclusivity(unchecked)  // touched once per payload, by the one thread that reads the spools
    private var bytesAsked = 0
    @exclusivity(unchecked)  // touched once per payload, by the one thread that reads the spools
    private var single = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
    static let budget = 8 << 20

    init(spools: [PayloadSpool]) {
        self.spools = spools
    }

    deinit {
        for block in blocks.values { block.deallocate() }
        single.deallocate()
    }

    /// Where the payload at `ref` starts, valid until the next call.
    func payload(_ ref: PayloadRef) throws -> UnsafeRawPointer {
        bytesAsked += Int(ref.length)
        let key = UInt64(ref.spool) << 32 | UInt64(ref.block)
        if let block = blocks[key] {
            return UnsafeRawPointer(block.baseAddress! + ref.offsetInBlock)
        }
        let spool = spools[Int(ref.spool)]
        let length = spool.blockLength(ref.block)
        if bytesRead + length > 2 * bytesAsked + Self.budget {
            if single.count < Int(ref.length) {
                single.deallocate()
                single = .allocate(byteCount: Int(ref.length), alignment: 8)
            }
            try spool.read(ref, into: single.baseAddress!)
            bytesRead += Int(ref.length)
            return UnsafeRawPointer(single.baseAddress!)
        }
        bytesRead += length
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, length), alignment: 8)
        do {
            try spool.readBlock(ref.block, into: block.baseAddress!)
        } catch {
            block.deallocate()
            throw error
        }
        blocks[key] = block
        order.append(key)
        bytes += block.count
        while bytes > Self.budget, oldest < order.count - 1 {
            if let evicted = blocks.removeValue(forKey: order[oldest]) {
                bytes -= evicted.count
                evicted.deallocate()
            }
            oldest += 1
        }
        if oldest >= 4096 {
            order.removeFirst(oldest)
            oldest = 0
        }
        return UnsafeRawPointer(block.baseAddress! + ref.offsetInBlock)
    }
}
