import Dispatch
import WXMergeCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A record file one reader thread is reading, whose tail a thread out of files may take.
///
/// The parse ends with one thread reading the last part of its last file while the other
/// has none left (0.4–0.7 s at a million people). A thread out of files picks a line in the
/// rest of such a file that looks like the next record of the owner's top-level records
/// (`-` at the same column, then a value) about halfway, and reads from there to the end
/// as a stream of its own while the owner reads up to it. The tail is used only when it is
/// what the owner would have read: the owner reaches that line as an item of the records it
/// is in, at the same column, and the tail is one block sequence that ends with the file.
/// Otherwise the owner reads on as if nothing had happened and the tail's records are
/// dropped. Taken, the tail's records get the owner's document's defaults, and their lines
/// and positions are counted on from the owner's.
///
/// The line is agreed on by its index in characters (libyaml's marks count characters), so
/// the thread that picks it counts the characters before it.
final class SharedFile: @unchecked Sendable {
    let path: String
    let displayPath: String
    let fileIndex: Int32
    let size: Int

    /// What the owner hands the tail's reader once it has reached the tail's first line.
    struct Handoff {
        var document: RecordFileReader.Document
        /// The owner's 0-based line of the tail's first line.
        var line: Int
        /// The records the owner read in the file before it.
        var ordinal: Int
    }

    enum Decision {
        case adopt(Handoff)
        case refuse
    }

    /// Bytes of the file given to the owner's parser so far.
    private let bytesRead = Atomic<Int>(0)
    /// The column of the `-` of the records the owner is in, or -1.
    private let recordsColumn = Atomic<Int>(-1)
    /// The character index of the tail's first line; -1 until a tail is taken, `closed`
    /// once the owner has finished the file without one.
    private let split = Atomic<Int>(-1)
    private static let closed = -2
    /// Whether a thread has claimed the tail: the one that sets `tail`, before `split`.
    private let claimed = Atomic<Bool>(false)
    /// Where the tail starts: written once, by the thread that claimed it, before it
    /// publishes `split` (releasing); read by the owner after it sees `split` (acquiring).
    private(set) var tail = RecordFileReader.Tail(offset: 0, column: 0)

    private let exchange = Locked<(tailRead: Bool?, decision: Decision?)>((nil, nil))
    private let tailDone = DispatchSemaphore(value: 0)
    private let decided = DispatchSemaphore(value: 0)

    init(path: String, displayPath: String, fileIndex: Int32, size: Int) {
        self.path = path
        self.displayPath = displayPath
        self.fileIndex = fileIndex
        self.size = size
    }

    // MARK: The owner's side

    func readUpTo(_ bytes: Int) {
        bytesRead.store(bytes, ordering: .relaxed)
    }

    func enterRecords(column: Int) {
        recordsColumn.store(column, ordering: .relaxed)
    }

    func leaveRecords() {
        recordsColumn.store(-1, ordering: .relaxed)
    }

    /// The character index of the tail's first line, once a tail is being read.
    var splitLine: Int? {
        let line = split.load(ordering: .acquiring)
        return line >= 0 ? line : nil
    }

    /// Waits for the tail to be read; whether it was what the owner would have read.
    func awaitTail() -> Bool {
        tailDone.wait()
        return exchange.withLock { $0.tailRead } ?? false
    }

    /// Tells the tail's reader what becomes of its records.
    func decide(_ decision: Decision) {
        exchange.withLock { $0.decision = decision }
        decided.signal()
    }

    /// Called once the owner has finished the file: whether a tail was being read that the
    /// owner has not decided on (it must then refuse it).
    func close() -> Bool {
        !split.compareExchange(expected: -1, desired: Self.closed, ordering: .acquiring).exchanged
    }

    // MARK: The tail's side

    /// Picks the tail's first line, about halfway through what the owner has not read yet,
    /// if that is at least `minimum` bytes; nil when there is none to take.
    func takeTail(minimum: Int) -> RecordFileReader.Tail? {
        let column = recordsColumn.load(ordering: .relaxed)
        let from = bytesRead.load(ordering: .relaxed)
        guard column >= 0, size - from >= minimum,
              claimed.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged
        else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        guard let offset = Self.recordLine(in: fd, after: from + (size - from) / 2, column: column, size: size),
              let characters = Self.characters(in: fd, before: offset)
        else { return nil }
        tail = RecordFileReader.Tail(offset: offset, column: column)
        guard split.compareExchange(expected: -1, desired: characters, ordering: .releasing).exchanged else { return nil }
        return tail
    }

    /// Tells the owner whether the tail was read as one block sequence to the end.
    func tailRead(_ read: Bool) {
        exchange.withLock { $0.tailRead = read }
        tailDone.signal()
    }

    /// Waits for the owner to reach the tail (or pass it, or finish).
    func awaitDecision() -> Decision {
        decided.wait()
        return exchange.withLock { $0.decision } ?? .refuse
    }

    // MARK: Bytes

    /// The offset of the first line at or after `target` that is `column` spaces, `- ` and
    /// a value, looked for in the next megabyte.
    static func recordLine(in fd: Int32, after target: Int, column: Int, size: Int) -> Int? {
        let window = min(1 << 20, size - target)
        guard target > 0, window > column + 3 else { return nil }
        var bytes = [UInt8](repeating: 0, count: window)
        let count = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, window, off_t(target - 1)) }
        guard count > column + 3 else { return nil }
        var index = 0
        while let newline = bytes[index..<count].firstIndex(of: UInt8(ascii: "\n")) {
            let start = newline + 1
            guard start + column + 3 <= count else { return nil }
            if bytes[start..<start + column].allSatisfy({ $0 == UInt8(ascii: " ") }),
               bytes[start + column] == UInt8(ascii: "-"), bytes[start + column + 1] == UInt8(ascii: " "),
               ![UInt8(ascii: " "), UInt8(ascii: "\r"), UInt8(ascii: "\n"), UInt8(ascii: "#")].contains(bytes[start + column + 2]) {
                return target - 1 + start
            }
            index = start
        }
        return nil
    }

    /// The characters before `offset` as libyaml counts them: UTF-8 lead bytes, less a
    /// byte order mark at the start. Nil for a file in UTF-16 or one that cannot be read.
    static func characters(in fd: Int32, before offset: Int) -> Int? {
        let chunk = 1 << 20
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: chunk)
        defer { buffer.deallocate() }
        var count = 0
        var position = 0
        while position < offset {
            let n = pread(fd, buffer.baseAddress, min(chunk, offset - position), off_t(position))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return nil }
            if position == 0 {
                if n >= 2, (buffer[0], buffer[1]) == (0xFE, 0xFF) || (buffer[0], buffer[1]) == (0xFF, 0xFE) { return nil }
                if n >= 3, (buffer[0], buffer[1], buffer[2]) == (0xEF, 0xBB, 0xBF) { count -= 1 }
            }
            count += n - Self.continuationBytes(UnsafeRawBufferPointer(start: buffer.baseAddress, count: n))
            position += n
        }
        return count
    }

    /// The UTF-8 continuation bytes (`10xxxxxx`) in `bytes`, eight at a time: a byte's
    /// top bit set and the next bit clear.
    static func continuationBytes(_ bytes: UnsafeRawBufferPointer) -> Int {
        let high: UInt64 = 0x8080_8080_8080_8080
        var count = 0
        var offset = 0
        while offset + 8 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            count += (word & ~(word << 1) & high).nonzeroBitCount
            offset += 8
        }
        for byte in bytes[offset...] where byte & 0xC0 == 0x80 { count += 1 }
        return count
    }
}
