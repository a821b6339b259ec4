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
    private var mapping: UnsafeRawBufferPointer?

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
        if let mapping {
            munmap(UnsafeMutableRawPointer(mutating: mapping.baseAddress!), mapping.count)
        }
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

    /// Ends writing and maps the spool for reading.
    public func finishWriting() throws {
        try flush()
        try map()
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

    /// The payload at `ref`. Valid after `finishWriting()` while the spool lives; its
    /// bytes stay where they are, so a caller may hand them to SQLite without a copy.
    public func payload(_ ref: PayloadRef) -> Payload {
        Payload(start: mapping!.baseAddress!.assumingMemoryBound(to: UInt8.self) + Int(ref.offset))
    }

    /// Lets the kernel take back the pages read so far (they are read again from the
    /// file if needed): records are written in canonical order, which visits the spool
    /// out of order, and without this every page read would stay in the process's memory.
    public func releasePages() {
        guard let mapping else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: mapping.baseAddress!), mapping.count, MADV_DONTNEED)
    }

    private func map() throws {
        guard flushed > 0 else { return }
        let address = mmap(nil, Int(flushed), PROT_READ, MAP_SHARED, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw RunFailure(exitCode: RunFailure.outputNotWritable,
                             [.error(at: nil, CoreMessage.cannotReadTemporaryFile(errno))])
        }
        mapping = UnsafeRawBufferPointer(start: address, count: Int(flushed))
    }
}

/// One spooled payload, read in place.
public struct Payload {
    let start: UnsafePointer<UInt8>

    /// The field's bytes; nil when the record has no value.
    public subscript(field: PayloadField) -> UnsafeBufferPointer<UInt8>? {
        var position = start
        for _ in 0..<field.rawValue {
            let count = UnsafeRawPointer(position).loadUnaligned(as: UInt32.self).littleEndian
            position += 4 + (count == UInt32.max ? 0 : Int(count))
        }
        let count = UnsafeRawPointer(position).loadUnaligned(as: UInt32.self).littleEndian
        return count == UInt32.max ? nil : UnsafeBufferPointer(start: position + 4, count: Int(count))
    }

    /// Each field's bytes in `PayloadField` order, nil for none: one pass over the payload.
    public func forEachField(_ body: (UnsafeBufferPointer<UInt8>?) -> Void) {
        var position = start
        for _ in PayloadField.allCases {
            let count = UnsafeRawPointer(position).loadUnaligned(as: UInt32.self).littleEndian
            if count == UInt32.max {
                body(nil)
                position += 4
            } else {
                body(UnsafeBufferPointer(start: position + 4, count: Int(count)))
                position += 4 + Int(count)
            }
        }
    }

    /// The field as text (for tests and messages).
    public func text(_ field: PayloadField) -> String? {
        self[field].map { String(decoding: $0, as: UTF8.self) }
    }
}
