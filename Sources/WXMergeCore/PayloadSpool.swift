// The one file that does I/O in WXMergeCore. A record's payload (nickname, avatar,
// phone, email, attributes) is not needed to decide who is who, and at a million users
// it would weigh more than everything reconciliation keeps. The YAML reader appends
// each payload here once, as it parses, and the store reads it back once, a block at a
// time, as it writes the record rows: no second parse, and memory stays flat. It
// lives in Core because the reader and the store, which must not know each other,
// both use it.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a record's payload is: which spool, which block of it (the high 32 bits of
/// `offset`) and at which byte of the block (the low 32 bits), how long.
public struct PayloadRef: Sendable, Hashable {
    public var spool: UInt16
    public var length: UInt32
    public var offset: UInt64

    public init(spool: UInt16, offset: UInt64, length: UInt32) {
        self.spool = spool
        self.offset = offset
        self.length = length
    }

    public var block: Int { Int(offset >> 32) }
    public var offsetInBlock: Int { Int(offset & 0xFFFF_FFFF) }
}

/// The payload fields in the order they are spooled.
public enum PayloadField: Int, CaseIterable, Sendable {
    case nickname, avatarURL, phone, email, attributes
}

/// An append-only file of record payloads, unlinked as soon as it is created, so a
/// killed run leaves nothing behind.
///
/// Each payload is `PayloadField.allCases.count` fields, each a little-endian UInt32
/// length (UInt32.max for none) followed by UTF-8 bytes.
///
/// Payloads are gathered into blocks of about `blockSize` bytes by a bucket the writer
/// chooses (the YAML reader: the openid's second byte), each block written whole. The
/// store reads the payloads in canonical order, which starts with appid and openid: a
/// bucket's records come together there, so it reads whole blocks and takes most of a
/// block's payloads from memory, instead of making one read per record.
///
/// Appends come from one thread (the reader that owns the spool); reads start after
/// `finishWriting()` and may come from any thread.
public final class PayloadSpool: @unchecked Sendable {
    public let index: UInt16
    private var fd: Int32
    private var flushed: UInt64 = 0
    /// The bytes not yet written of each bucket's block, and the block's number (-1: none
    /// yet). Raw memory rather than an array a bucket: a payload is ten appends, and an
    /// array in an array is checked for sharing twice at each.
    private let buckets: UnsafeMutableBufferPointer<Bucket>
    /// Where each block is in the file.
    private var blocks: [(offset: UInt64, length: Int)] = []
    private var bucket = 0
    private var pendingStart = 0

    public static let bucketCount = 64
    public static let blockSize = 16 << 10

    /// Creates the spool in `folder` (the output's folder, so it shares its disk).
    public init(index: UInt16, folder: String) throws {
        self.index = index
        var template = Array((folder + "/.wxmerge-spool-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw SpoolError(
                             [.error(at: nil, CoreMessage.cannotCreateTemporaryFile(folder, errno))])
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.fd = fd
        buckets = .allocate(capacity: Self.bucketCount)
        buckets.initialize(repeating: Bucket())
    }

    deinit {
        release()
        releaseBuckets()
        buckets.deallocate()
    }

    /// Gives the spool's file back, and its pages in the page cache with it, once no
    /// payload will be read again; a read after that fails.
    public func release() {
        if fd >= 0 {
            close(fd)
            fd = -1
        }
    }

    private struct Bucket {
        var bytes = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        var count = 0
        var block = -1

        mutating func append(_ source: UnsafeRawPointer, count added: Int) {
            if count + added > bytes.count {
                let larger = UnsafeMutableRawBufferPointer.allocate(
                    byteCount: max(PayloadSpool.blockSize + 1024, 2 * bytes.count, count + added), alignment: 16)
                if count > 0 { larger.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: count) }
                bytes.deallocate()
                bytes = larger
            }
            if added > 0 { (bytes.baseAddress! + count).copyMemory(from: source, byteCount: added) }
            count += added
        }
    }

    private func releaseBuckets() {
        for index in buckets.indices {
            buckets[index].bytes.deallocate()
            buckets[index] = Bucket()
        }
    }

    // MARK: Writing

    /// Starts a payload in `bucket` (any number; it is taken modulo `bucketCount`);
    /// append its fields in `PayloadField` order, then call `endPayload`.
    public func beginPayload(bucket: Int = 0) {
        self.bucket = bucket & (Self.bucketCount - 1)
        if buckets[self.bucket].block < 0 {
            buckets[self.bucket].block = blocks.count
            blocks.append((0, 0))
        }
        pendingStart = buckets[self.bucket].count
    }

    public func appendField(_ bytes: UnsafeBufferPointer<UInt8>?) {
        guard let bytes else {
            appendLength(UInt32.max)
            return
        }
        appendLength(UInt32(bytes.count))
        if let base = bytes.baseAddress { buckets[bucket].append(base, count: bytes.count) }
    }

    public func appendField(_ bytes: [UInt8]?) {
        guard let bytes else {
            appendLength(UInt32.max)
            return
        }
        bytes.withUnsafeBufferPointer { appendField($0) }
    }

    /// The start of WeChat's avatar URLs, which most payloads' avatars share (a tenth of
    /// the spool at a million people): spooled as the one byte `abbreviated` instead.
    public static let avatarPrefix: StaticString = "https://thirdwx.qlogo.cn/mmopen/vi_32/"
    /// The first byte of a spooled avatar that starts with `avatarPrefix`, and of one
    /// spooled as it is although it starts with one of these two bytes (control
    /// characters, which only a quoted YAML scalar's escapes can make).
    public static let abbreviated: UInt8 = 0x01
    public static let verbatim: UInt8 = 0x02

    /// Appends the avatar field, its start abbreviated when it is `avatarPrefix` (see
    /// `avatar(at:count:)`).
    public func appendAvatar(_ bytes: UnsafeBufferPointer<UInt8>?) {
        let prefix = Self.avatarPrefix
        let marker: UInt8
        let rest: UnsafeBufferPointer<UInt8>
        if let bytes, bytes.count >= prefix.utf8CodeUnitCount,
           memcmp(bytes.baseAddress!, prefix.utf8Start, prefix.utf8CodeUnitCount) == 0 {
            (marker, rest) = (Self.abbreviated, UnsafeBufferPointer(rebasing: bytes[prefix.utf8CodeUnitCount...]))
        } else if let bytes, let first = bytes.first, first == Self.abbreviated || first == Self.verbatim {
            (marker, rest) = (Self.verbatim, bytes)
        } else {
            appendField(bytes)
            return
        }
        appendLength(UInt32(1 + rest.count))
        withUnsafeBytes(of: marker) { buckets[bucket].append($0.baseAddress!, count: 1) }
        if let base = rest.baseAddress { buckets[bucket].append(base, count: rest.count) }
    }

    /// How a spooled avatar field reads: whether it is abbreviated (then `avatarPrefix`
    /// comes before its bytes), and where its own bytes are within it.
    public static func avatar(at start: UnsafeRawPointer, count: Int) -> (isAbbreviated: Bool, bytes: Range<Int>) {
        guard count > 0 else { return (false, 0..<0) }
        switch start.load(as: UInt8.self) {
        case abbreviated: return (true, 1..<count)
        case verbatim: return (false, 1..<count)
        default: return (false, 0..<count)
        }
    }

    private func appendLength(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { buckets[bucket].append($0.baseAddress!, count: 4) }
    }

    /// Ends the payload begun last and tells where it is.
    public func endPayload() throws -> PayloadRef {
        let ref = PayloadRef(spool: index, offset: UInt64(buckets[bucket].block) << 32 | UInt64(pendingStart),
                             length: UInt32(buckets[bucket].count - pendingStart))
        if buckets[bucket].count >= Self.blockSize {
            try flush(bucket)
        }
        return ref
    }

    /// Ends writing: what is still buffered goes to the file, to be read.
    public func finishWriting() throws {
        for bucket in buckets.indices where buckets[bucket].block >= 0 {
            try flush(bucket)
        }
        releaseBuckets()
    }

    /// Writes a bucket's block at the end of the file; the bucket's next payload starts a new block.
    private func flush(_ bucket: Int) throws {
        let count = buckets[bucket].count
        let bytes = buckets[bucket].bytes
        var written = 0
        while written < count {
            let n = pwrite(fd, bytes.baseAddress! + written, count - written, off_t(flushed) + off_t(written))
            guard n > 0 else {
                throw SpoolError(
                                 [.error(at: nil, CoreMessage.cannotWriteTemporaryFile(errno))])
            }
            written += n
        }
        blocks[buckets[bucket].block] = (flushed, count)
        flushed += UInt64(count)
        buckets[bucket].count = 0
        buckets[bucket].block = -1
    }

    // MARK: Reading

    /// Copies the payload at `ref` (`ref.length` bytes) to `destination`, with `pread`:
    /// no page of the spool stays in the process's memory. Any thread, after
    /// `finishWriting()`.
    public func read(_ ref: PayloadRef, into destination: UnsafeMutableRawPointer) throws {
        try read(Int(ref.length), at: blocks[ref.block].offset + UInt64(ref.offsetInBlock), into: destination)
    }

    /// The length of block `block` (`PayloadRef.block`).
    public func blockLength(_ block: Int) -> Int {
        blocks[block].length
    }

    /// Copies block `block` whole to `destination` (`blockLength(block)` bytes); a payload
    /// is then at its `offsetInBlock`. Any thread, after `finishWriting()`.
    public func readBlock(_ block: Int, into destination: UnsafeMutableRawPointer) throws {
        try read(blocks[block].length, at: blocks[block].offset, into: destination)
    }

    private func read(_ count: Int, at offset: UInt64, into destination: UnsafeMutableRawPointer) throws {
        var done = 0
        while done < count {
            let n = pread(fd, destination + done, count - done, off_t(offset) + off_t(done))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                throw SpoolError(
                                 [.error(at: nil, CoreMessage.cannotReadTemporaryFile(n < 0 ? errno : EIO))])
            }
            done += n
        }
    }

    /// Walks the fields of a payload that `read` put at `start`, in `PayloadField` order:
    /// each field's offset from `start` and its byte count, nil for none. Returns the
    /// payload's length.
    @inlinable
    public static func forEachField(at start: UnsafeRawPointer, _ body: (_ offset: Int, _ count: Int?) -> Void) -> Int {
        var position = 0
        for _ in PayloadField.allCases {
            let count = start.loadUnaligned(fromByteOffset: position, as: UInt32.self).littleEndian
            position += 4
            if count == UInt32.max {
                body(position, nil)
            } else {
                body(position, Int(count))
                position += Int(count)
            }
        }
        return position
    }
}

/// A payload spool that could not be created, written or read back: a work file in the
/// output's folder, so a failure here is one of writing the output.
public struct SpoolError: DiagnosedError {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }
}
