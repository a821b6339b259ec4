import WXMergeCore
import Synchronization

/// The records and texts of every record file, written by all reader threads into one
/// array of records and one arena: a thread takes room a block at a time from a shared
/// cursor, so nothing is copied from one thread's arrays into another's when the read
/// ends. Such a copy touches fresh pages for half of the records again, which costs far
/// more than their zeroing on a virtual machine whose host takes back free memory (0.3 s
/// of a core at a million people here), and it needs one thread's arrays to be where the
/// others' records go, which keeps a thread out of files from sharing the last file.
///
/// Room is reserved for records of typical exports (192 bytes of YAML or more a record,
/// a third of the input in texts); pages never written cost no memory. Blocks past that
/// room come from memory of their own and are put after it when the read ends.
///
/// A thread's records are in its blocks in the order it read them; a block is filled
/// from its start. When the read ends, records of the last blocks are moved into the
/// room other blocks left free, so that the records are one dense array. Their order
/// there is not the order they were read in; the canonical order comes later and
/// depends only on the records.
final class SharedRecords: @unchecked Sendable {
    static let recordsPerBlock = 1 << 14
    static let textBlockBytes = 1 << 20

    private let records: UnsafeMutablePointer<Record>
    /// Blocks of records in the reserved room.
    private let recordBlocks: Int
    private let arena: UnsafeMutablePointer<UInt8>
    private let textBlocks: Int
    private let nextRecordBlock = Atomic<Int>(0)
    private let nextTextBlock = Atomic<Int>(0)
    /// Blocks past the reserved room, by their number: records, and runs of text blocks
    /// (with their count) by their first block's number; addresses as numbers.
    private let overflow = Locked<(records: [Int: Int], texts: [Int: (address: Int, blocks: Int)])>(([:], [:]))

    private init(records: UnsafeMutablePointer<Record>, recordBlocks: Int, arena: UnsafeMutablePointer<UInt8>, textBlocks: Int) {
        self.records = records
        self.recordBlocks = recordBlocks
        self.arena = arena
        self.textBlocks = textBlocks
    }

    /// Runs `read` with room for the records and texts of `inputBytes` of YAML, then
    /// returns the records of the buffers it returns as one array, and the arena their
    /// texts are in.
    ///
    /// - Parameter read: reads the files into buffers on `SharedRecords`; returns them.
    static func collect<Result>(
        inputBytes: Int, recordsPerInputByte: Double,
        _ read: (SharedRecords) throws -> (Result, [RecordBuffer])
    ) rethrows -> (records: [Record], arena: [UInt8], Result) {
        let recordBlocks = Int(Double(inputBytes) * recordsPerInputByte) / recordsPerBlock + 1
        // Texts are addressed by 32-bit offsets.
        let textBlocks = min(inputBytes / 3 / textBlockBytes + 1, (1 << 31) / textBlockBytes)
        var result: Result?
        var shared: SharedRecords?
        var buffers: [RecordBuffer] = []
        var arena: [UInt8] = []
        var records = try [Record](unsafeUninitializedCapacity: recordBlocks * recordsPerBlock) { room, recordCount in
            arena = try [UInt8](unsafeUninitializedCapacity: textBlocks * textBlockBytes) { textRoom, textCount in
                let storage = SharedRecords(records: room.baseAddress!, recordBlocks: recordBlocks,
                                            arena: textRoom.baseAddress!, textBlocks: textBlocks)
                shared = storage
                (result, buffers) = try read(storage)
                textCount = min(storage.nextTextBlock.load(ordering: .relaxed), textBlocks) * textBlockBytes
            }
            recordCount = shared!.compact(buffers)
        }
        shared!.appendOverflow(to: &records, arena: &arena)
        return (records, arena, result!)
    }

    /// Lets go of the blocks past the reserved room that `appendOverflow` did not take:
    /// those of a read that failed.
    deinit {
        let (recordRooms, textRooms) = overflow.withLock { ($0.records, $0.texts) }
        for room in recordRooms.values { UnsafeMutablePointer<Record>(bitPattern: room)!.deallocate() }
        for (address, _) in textRooms.values { UnsafeMutablePointer<UInt8>(bitPattern: address)!.deallocate() }
    }

    // MARK: Taking room

    /// The start of a fresh block of records, and its number.
    func takeRecordBlock() -> (Int, UnsafeMutablePointer<Record>) {
        let block = nextRecordBlock.add(1, ordering: .relaxed).oldValue
        if block < recordBlocks { return (block, records + block * Self.recordsPerBlock) }
        let room = UnsafeMutablePointer<Record>.allocate(capacity: Self.recordsPerBlock)
        overflow.withLock { $0.records[block] = Int(bitPattern: room) }
        return (block, room)
    }

    /// Room for at least `bytes` bytes of text in a run of blocks: its offset in the
    /// arena, and where it is.
    func takeText(_ bytes: Int) -> (offset: Int, room: UnsafeMutablePointer<UInt8>, bytes: Int) {
        let blocks = max(1, (bytes + Self.textBlockBytes - 1) / Self.textBlockBytes)
        while true {
            let first = nextTextBlock.add(blocks, ordering: .relaxed).oldValue
            if first + blocks <= textBlocks {
                return (first * Self.textBlockBytes, arena + first * Self.textBlockBytes, blocks * Self.textBlockBytes)
            }
            // A run that would cross the end of the reserved room is left unused.
            guard first >= textBlocks else { continue }
            let room = UnsafeMutablePointer<UInt8>.allocate(capacity: blocks * Self.textBlockBytes)
            overflow.withLock { $0.texts[first] = (Int(bitPattern: room), blocks) }
            return (first * Self.textBlockBytes, room, blocks * Self.textBlockBytes)
        }
    }

    // MARK: When the read ends

    /// Moves the records past the first `n` places into the free places before them (n
    /// the records held in all), as far as the reserved room goes; returns the records
    /// it holds then.
    private func compact(_ buffers: [RecordBuffer]) -> Int {
        var held: [(block: Int, count: Int)] = []
        for buffer in buffers { held += buffer.blocksHeld }
        held.sort { $0.block < $1.block }
        let total = held.reduce(0) { $0 + $1.count }
        let kept = min(total, recordBlocks * Self.recordsPerBlock)
        // Free places before `kept`, lowest first; records at or past it, highest first.
        var free: [Range<Int>] = []
        var place = 0
        for (block, count) in held where block * Self.recordsPerBlock < kept {
            let start = block * Self.recordsPerBlock
            if place < start { free.append(place..<start) }
            place = start + count
        }
        if place < kept { free.append(place..<kept) }
        var moving: [(block: Int, range: Range<Int>)] = []
        for (block, count) in held.reversed() {
            let start = max(block * Self.recordsPerBlock, kept)
            let end = block * Self.recordsPerBlock + count
            if start < end { moving.append((block, start - block * Self.recordsPerBlock..<end - block * Self.recordsPerBlock)) }
        }
        var from = moving.makeIterator()
        var source = from.next()
        for var gap in free {
            while !gap.isEmpty, let (block, range) = source {
                let count = min(gap.count, range.count)
                let start = range.upperBound - count
                (records + gap.lowerBound).initialize(from: recordBase(block) + start, count: count)
                gap = gap.lowerBound + count..<gap.upperBound
                source = range.count > count ? (block, range.lowerBound..<start) : from.next()
            }
        }
        // What is left to move lives past the reserved room: `appendOverflow` adds it.
        leftOver = []
        while let (block, range) = source {
            leftOver.append((block, range))
            source = from.next()
        }
        return kept
    }

    private var leftOver: [(block: Int, range: Range<Int>)] = []

    private func recordBase(_ block: Int) -> UnsafeMutablePointer<Record> {
        block < recordBlocks ? records + block * Self.recordsPerBlock
            : UnsafeMutablePointer(bitPattern: overflow.withLock { $0.records[block]! })!
    }

    /// Adds the records past the reserved room to `records`, the texts past it to `arena`
    /// (in the order of their offsets), and lets their memory go.
    private func appendOverflow(to records: inout [Record], arena: inout [UInt8]) {
        let (recordRooms, textRooms) = overflow.withLock { ($0.records, $0.texts) }
        for (block, range) in leftOver {
            records.append(contentsOf: UnsafeBufferPointer(start: recordBase(block) + range.lowerBound, count: range.count))
        }
        for room in recordRooms.values { UnsafeMutablePointer<Record>(bitPattern: room)!.deallocate() }
        var block = textBlocks
        let end = nextTextBlock.load(ordering: .relaxed)
        while block < end {
            if let (address, blocks) = textRooms[block] {
                let room = UnsafeMutablePointer<UInt8>(bitPattern: address)!
                arena.append(contentsOf: UnsafeBufferPointer(start: room, count: blocks * Self.textBlockBytes))
                room.deallocate()
                block += blocks
            } else {
                // A run's blocks left unused at the end of the reserved room.
                arena.append(contentsOf: repeatElement(0, count: Self.textBlockBytes))
                block += 1
            }
        }
        overflow.withLock { $0 = ([:], [:]) }
    }
}
