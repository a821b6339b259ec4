import Dispatch
import Synchronization
import WXMergeCore

/// The records' payloads, copied in the order the records are written into a few
/// chunks of memory by a thread of its own.
///
/// Records are written in canonical order, which visits the spools out of order: read
/// where they lie, nearly every payload is a page fault or a cache miss, taken on the
/// core that runs SQLite. The other core is idle by then, so it takes them: it copies
/// the payloads a chunk at a time ahead of the writer, which reads the chunks in order
/// and binds the fields where they lie. A chunk is refilled only once the writer has
/// moved past it, after every statement that used it has run. The spools' pages are let
/// go as the copying goes (see `PayloadSpool.releasePages`).
final class PayloadQueue: @unchecked Sendable {
    /// Records a chunk; a multiple of the rows a batched insert runs at once, so a chunk
    /// ends where a statement does.
    static let recordsPerChunk = 4096
    private static let slots = 3
    private static let fieldCount = PayloadField.allCases.count
    /// How often the spools' pages are let go: often enough to keep them a few tens of MB.
    private static let recordsBetweenPageReleases = 1 << 16

    /// One chunk's payload bytes, and per record and field where its bytes start and
    /// how many there are (`UInt32.max` for none).
    fileprivate final class Chunk {
        var bytes: UnsafeMutablePointer<UInt8>
        var capacity = 1 << 20
        var count = 0
        let fields: UnsafeMutablePointer<(start: UInt32, count: UInt32)>

        init() {
            bytes = .allocate(capacity: capacity)
            fields = .allocate(capacity: PayloadQueue.recordsPerChunk * PayloadQueue.fieldCount)
        }

        deinit {
            bytes.deallocate()
            fields.deallocate()
        }

        func append(_ field: UnsafeBufferPointer<UInt8>?, at slot: Int) {
            guard let field else {
                fields[slot] = (0, UInt32.max)
                return
            }
            if count + field.count > capacity {
                capacity = max(capacity * 2, count + field.count)
                let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
                larger.update(from: bytes, count: count)
                bytes.deallocate()
                bytes = larger
            }
            if let base = field.baseAddress { (bytes + count).update(from: base, count: field.count) }
            fields[slot] = (UInt32(count), UInt32(field.count))
            count += field.count
        }
    }

    private let chunks = (0..<PayloadQueue.slots).map { _ in Chunk() }
    private let ready = (0..<PayloadQueue.slots).map { _ in DispatchSemaphore(value: 0) }
    private let free = (0..<PayloadQueue.slots).map { _ in DispatchSemaphore(value: 1) }
    private let stopped = Atomic<Bool>(false)
    private var current = -1

    /// Starts copying the payloads of `records` in their order.
    init(records: [Record], spools: [PayloadSpool]) {
        DispatchQueue.global().async { self.copy(records, spools) }
    }

    private func copy(_ records: [Record], _ spools: [PayloadSpool]) {
        var sinceRelease = 0
        for chunkStart in stride(from: 0, to: records.count, by: Self.recordsPerChunk) {
            let slot = chunkStart / Self.recordsPerChunk % Self.slots
            free[slot].wait()
            if stopped.load(ordering: .acquiring) { return }
            let chunk = chunks[slot]
            chunk.count = 0
            for index in chunkStart..<min(chunkStart + Self.recordsPerChunk, records.count) {
                let ref = records[index].payload
                var field = (index - chunkStart) * Self.fieldCount
                spools[Int(ref.spool)].payload(ref).forEachField { bytes in
                    chunk.append(bytes, at: field)
                    field += 1
                }
            }
            sinceRelease += Self.recordsPerChunk
            if sinceRelease >= Self.recordsBetweenPageReleases {
                for spool in spools { spool.releasePages() }
                sinceRelease = 0
            }
            ready[slot].signal()
        }
    }

    /// The payload of record `index`, asked for in order from 0; valid until a record
    /// of another chunk is asked for.
    func payload(_ index: Int) -> Fields {
        let chunkIndex = index / Self.recordsPerChunk
        if chunkIndex != current {
            if current >= 0 { free[current % Self.slots].signal() }
            ready[chunkIndex % Self.slots].wait()
            current = chunkIndex
        }
        return Fields(chunk: chunks[chunkIndex % Self.slots], first: index % Self.recordsPerChunk * Self.fieldCount)
    }

    /// Lets the copying thread end early, when the writer stops before the last record.
    func stop() {
        stopped.store(true, ordering: .releasing)
        for semaphore in free { semaphore.signal() }
    }

    struct Fields {
        fileprivate let chunk: Chunk
        fileprivate let first: Int

        subscript(field: PayloadField) -> UnsafeBufferPointer<UInt8>? {
            let (start, count) = chunk.fields[first + field.rawValue]
            return count == UInt32.max ? nil : UnsafeBufferPointer(start: chunk.bytes + Int(start), count: Int(count))
        }
    }
}
