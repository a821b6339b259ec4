public import WXMergeCore

/// What one record file held besides its records, which go into a `RecordBuffer`.
public struct FileRecords: Sendable {
    public var rejections: [Rejection] = []
    public var warnings: [String: WarningTally] = [:]
    public var read = 0
    public var bytes = 0
}

/// The records of every file one reader thread reads, in the order it read them, in
/// blocks of `SharedRecords`: a file's records go in where the last file's ended.
final class RecordBuffer {
    private let shared: SharedRecords
    /// Records held; they are numbered from 0 in the order they were added.
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    private(set) var count = 0
    /// The blocks taken, by number and where they are: record `i` is in block
    /// `i / recordsPerBlock`.
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    private var blocks: [(number: Int, room: UnsafeMutablePointer<Record>)] = []
    /// The room left in the text run being filled, and its offset in the arena.
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    private var text: UnsafeMutablePointer<UInt8>?
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    private var textOffset = 0
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    private var textLeft = 0
    /// `Record.source` of every record indexes `sources`.
    private(set) var sources: [String] = []
    private var sourceIndex: [String: Int32] = [:]
    /// Marks of a document's records, to reject one once the defaults are known;
    /// reused from document to document and from file to file.
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    var spans: [(start: Mark, end: Mark)] = []

    init(shared: SharedRecords) {
        self.shared = shared
    }

    private static let shift = SharedRecords.recordsPerBlock.trailingZeroBitCount
    private static let mask = SharedRecords.recordsPerBlock - 1

    subscript(index: Int) -> Record {
        get { blocks[index >> Self.shift].room[index & Self.mask] }
        set { blocks[index >> Self.shift].room[index & Self.mask] = newValue }
    }

    func append(_ record: Record) {
        if count >> Self.shift == blocks.count {
            let (number, room) = shared.takeRecordBlock()
            blocks.append((number, room))
        }
        (blocks[count >> Self.shift].room + (count & Self.mask)).initialize(to: record)
        count += 1
    }

    /// Keeps the first `count` records (the blocks stay taken, to be filled again).
    func removeRecords(from count: Int) {
        self.count = min(self.count, count)
    }

    /// Stores a text in the arena: where it is.
    func store(_ bytes: UnsafeBufferPointer<UInt8>) -> TextRef {
        if bytes.count > textLeft {
            let (offset, room, size) = shared.takeText(bytes.count)
            (text, textOffset, textLeft) = (room, offset, size)
        }
        if let base = bytes.baseAddress, !bytes.isEmpty {
            text!.initialize(from: base, count: bytes.count)
        }
        let ref = TextRef(offset: UInt32(textOffset), length: UInt32(bytes.count))
        text = text.map { $0 + bytes.count }
        textOffset += bytes.count
        textLeft -= bytes.count
        return ref
    }

    /// The blocks taken, and how many records each holds (from its start).
    var blocksHeld: [(block: Int, count: Int)] {
        blocks.enumerated().map { index, block in
            (block.number, min(max(count - index * SharedRecords.recordsPerBlock, 0), SharedRecords.recordsPerBlock))
        }
    }

    func sourceID(_ name: String) -> Int32 {
        if let index = sourceIndex[name] { return index }
        let index = Int32(sources.count)
        sources.append(name)
        sourceIndex[name] = index
        return index
    }
}
