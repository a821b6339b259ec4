// The one file that does I/O in WXMergeCore. A record's payload (nickname, avatar,
// phone, email, attributes) is not needed to decide who is who, and at a million users
// it would weigh more than everything reconciliation keeps. The YAML reader appends
// each payload here once, as it parses, and the store reads it back once, from a
// read-only mapping, as it writes the record row: no second parse, and memory stays
// flat. It lives in Core because the reader and the store, which must not know each
// other, both use it.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a record's payload is: which spool, at which byte, how long.
public struct PayloadRef: Sendable, Hashable {
    public var spool: UInt16
    public var length: UInt32
    public var offset: UInt64

    public init(spool: UInt16, offset: UInt64, length: UInt32) {
        self.spool = spool
        self.offset = offset
        self.length = length
    }
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
/// Appends come from one thread (the reader that owns the spool); reads start after
/// `finishWriting()` and may come from any thread.
public final class PayloadSpool: @unchecked Sendable {
    public let index: UInt16
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var flushed: UInt64 = 0
    private var pendingStart = 0

    /// Creates the spool in `folder` (the output's folder, so it shares its disk).
    public init(index: UInt16, folder: String) throws {
        self.index = index
        var template = Array((folder + "/.wxmerge-spool-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw RunFailure(exitCode: RunFailure.outputNotWritable,
                             [.error(at: nil, CoreMessage.cannotCreateTemporaryFile(folder, errno))])
        }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.fd = fd
        buffer.reserveCapacity(1 << 20)
    }

    deinit {
        close(fd)
    }

    // MARK: Writing

    /// Starts a payload; append its fields in `PayloadField` order, then call `endPayload`.
    public func beginPayload() {
        pendingStart = buffer.count
    }

    public func appendField(_ bytes: UnsafeBufferPointer<UInt8>?) {
        guard let bytes else {
            appendLength(UInt32.max)
            return
        }
        appendLength(UInt32(bytes.count))
        buffer.append(contentsOf: bytes)
    }

    public func appendField(_ bytes: [UInt8]?) {
        guard let bytes else {
            appendLength(UInt32.max)
            return
        }
        bytes.withUnsafeBufferPointer { appendField($0) }
    }

    private func appendLength(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }

    /// Ends the payload begun last and tells where it is.
    public func endPayload() throws -> PayloadRef {
        let ref = PayloadRef(spool: index, offset: flushed + UInt64(pendingStart),
                             length: UInt32(buffer.count - pendingStart))
        if buffer.count >= 1 << 20 {
            try flush()
        }
        return ref
    }

    /// Ends writing: what is still buffered goes to the file, to be read.
    public func finishWriting() throws {
        try flush()
    }

    private func flush() throws {
        var written = 0
        while written < buffer.count {
            let n = buffer.withUnsafeBytes {
                pwrite(fd, $0.baseAddress! + written, $0.count - written, off_t(flushed) + off_t(written))
            }
            guard n > 0 else {
                throw RunFailure(exitCode: RunFailure.outputNotWritable,
                                 [.error(at: nil, CoreMessage.cannotWriteTemporaryFile(errno))])
            }
            written += n
        }
        flushed += UInt64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
        pendingStart = 0
    }

    // MARK: Reading

    /// Copies the payload at `ref` (`ref.length` bytes) to `destination`, with `pread`:
    /// no page of the spool stays in the process's memory. Any thread, after
    /// `finishWriting()`.
    public func read(_ ref: PayloadRef, into destination: UnsafeMutableRawPointer) throws {
        var done = 0
        while done < Int(ref.length) {
            let n = pread(fd, destination + done, Int(ref.length) - done, off_t(ref.offset) + off_t(done))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                throw RunFailure(exitCode: RunFailure.outputNotWritable,
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
