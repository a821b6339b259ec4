// The PostgreSQL client is libpq, through the system library target CPostgres (Debian's
// libpq-dev). It gives every connection convention PostgreSQL users expect with no code
// of ours — URIs and their parameters, the PG* environment variables, ~/.pgpass, service
// files, sslmode — and COPY, through a synchronous API that fits a batch tool: the
// connection is opened, the tables are streamed in, the publishing transaction commits.
// It adds seconds to a clean build. PostgresNIO 1.33.2 (in the package mirror, with COPY
// FROM) was the alternative: an event loop the tool does not need, the conventions above
// written by hand, and minutes more on every clean build (this machine's notes: 2.5 to
// 4.5 minutes for a first build with it). Measured with libpq, a run of a million people
// into a local server takes no longer than psql's own \copy of the same rows plus their
// index builds (docs/benchmarks.md), so a second client would buy no speed.
internal import CPostgres
import Foundation
public import WXMergeCore
public import WXMergeStore
#if canImport(Glibc)
import Glibc
#endif

/// One connection to a PostgreSQL server (libpq's `PGconn`), owned: closed when released.
///
/// Invariant: `connection` is a connection that reached `CONNECTION_OK`. libpq's notices
/// ("schema … does not exist, skipping") are dropped: a library does not print. One
/// thread at a time uses a connection.
final class PostgresConnection {
    private let connection: OpaquePointer
    /// The server as messages name it, without a password.
    let name: String

    /// Connects to `address`, following libpq's conventions for what it leaves out.
    /// - Throws: `StoreError` (unavailable) with libpq's reason: refused, authentication,
    ///   TLS, no such database.
    init(_ address: PostgresURI) throws {
        name = address.displayName
        let keywords = ["dbname", "client_encoding", "fallback_application_name"]
        let values = [address.text, "UTF8", "wxmerge"]
        let connection = withCStrings(keywords) { keywords in
            withCStrings(values) { values in PQconnectdbParams(keywords, values, 1) }
        }
        guard let connection else {
            throw StoreError(.unavailable, [.error(at: nil, PostgresMessage.cannotConnect(name, "out of memory"))])
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = Self.message(connection)
            PQfinish(connection)
            throw StoreError(.unavailable, [.error(at: nil, PostgresMessage.cannotConnect(name, reason))])
        }
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        self.connection = connection
    }

    deinit {
        PQfinish(connection)
    }

    /// Runs `sql` (one or more statements, or one with `$1`, `$2`, … bound to
    /// `arguments` as text) and returns its last result's rows as text.
    /// - Throws: `StoreError` (cannot write) with the server's message.
    @discardableResult
    func execute(_ sql: String, _ arguments: [String?] = []) throws -> PostgresRows {
        let result: OpaquePointer?
        if arguments.isEmpty {
            result = PQexec(connection, sql)
        } else {
            result = withOptionalCStrings(arguments) { values in
                PQexecParams(connection, sql, Int32(arguments.count), nil, values, nil, nil, 0)
            }
        }
        return try PostgresRows(checking: result, connection: self)
    }

    /// Runs `sql` with `arguments` bound as text and calls `body` with each row as it
    /// arrives (libpq's single-row mode), so that memory does not grow with the rows.
    /// - Throws: `StoreError` with the server's message; what `body` throws.
    func stream(_ sql: String, _ arguments: [String], _ body: (PostgresRows) throws -> Void) throws {
        let sent = withOptionalCStrings(arguments) { values in
            PQsendQueryParams(connection, sql, Int32(arguments.count), nil, values, nil, nil, 0)
        }
        guard sent == 1 else { throw failure() }
        PQsetSingleRowMode(connection)
        var failed: (any Error)?
        while let result = PQgetResult(connection) {
            defer { PQclear(result) }
            guard failed == nil else { continue }  // read to the end: the connection is used again
            let status = PQresultStatus(result)
            if status == PGRES_SINGLE_TUPLE {
                do { try body(try PostgresRows(checking: result, connection: self, expecting: PGRES_SINGLE_TUPLE, owned: false)) } catch { failed = error }
            } else if status != PGRES_TUPLES_OK {
                failed = failure(result)
            }
        }
        if let failed { throw failed }
    }

    /// Runs `COPY … FROM STDIN (FORMAT binary)` and streams in the rows `body` writes.
    /// - Throws: `StoreError` (cannot write) with the server's message; what `body` throws.
    func copy(_ sql: String, _ body: (inout CopyRows) throws -> Void) throws {
        try PostgresRows(checking: PQexec(connection, sql), connection: self, expecting: PGRES_COPY_IN)
        var rows = CopyRows(send: { bytes in
            bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { PQputCopyData(self.connection, $0.baseAddress, Int32($0.count)) }
            } == 1
        })
        do {
            try body(&rows)
            guard rows.finish() else { throw failure() }
            guard PQputCopyEnd(connection, nil) == 1 else { throw failure() }
        } catch {
            PQputCopyEnd(connection, "the run stopped")
            _ = try? finishCommand()
            throw error
        }
        try finishCommand()
    }

    /// Runs `COPY (…) TO STDOUT (FORMAT binary)` and calls `body` with each row, valid
    /// during the call.
    /// - Throws: `StoreError` (cannot write) with the server's message; what `body` throws.
    func copyOut(_ sql: String, _ body: (CopyRow) throws -> Void) throws {
        try PostgresRows(checking: PQexec(connection, sql), connection: self, expecting: PGRES_COPY_OUT)
        var headerSeen = false
        var failure: (any Error)?
        while true {
            var data: UnsafeMutablePointer<CChar>?
            let count = PQgetCopyData(connection, &data, 0)
            guard count >= 0, let data else { break }
            defer { PQfreemem(data) }
            guard failure == nil else { continue }  // read to the end: the connection is used again
            var bytes = UnsafeRawBufferPointer(start: data, count: Int(count)).bindMemory(to: UInt8.self)
            if !headerSeen {
                headerSeen = true
                // The signature (11 bytes), the flags, the extension's length and the extension.
                guard bytes.count >= 19 else { continue }
                let extensionLength = Int(CopyRow.int32(bytes, at: 15))
                bytes = UnsafeBufferPointer(rebasing: bytes[(19 + extensionLength)...])
            }
            guard bytes.count >= 2, CopyRow.int16(bytes, at: 0) >= 0 else { continue }  // the trailer
            do { try body(CopyRow(bytes)) } catch { failure = error }
        }
        try finishCommand()
        if let failure { throw failure }
    }

    /// Reads the results of the command in progress until there are none.
    private func finishCommand() throws {
        var failed: StoreError?
        while let result = PQgetResult(connection) {
            if failed == nil, PQresultStatus(result) != PGRES_COMMAND_OK {
                failed = failure(result)
            }
            PQclear(result)
        }
        if let failed { throw failed }
    }

    /// The connection's last error as a `StoreError`.
    func failure(_ result: OpaquePointer? = nil) -> StoreError {
        let text = result.flatMap { PQresultErrorMessage($0) }.map { String(cString: $0) } ?? ""
        let reason = text.isEmpty ? Self.message(connection) : Self.trimmed(text)
        var kind: StoreError.Kind = PQstatus(connection) == CONNECTION_OK ? .cannotWrite : .unavailable
        if let result, Self.state(result) == Self.lockNotAvailable { kind = .busy }
        return StoreError(kind, [.error(at: nil, PostgresMessage.serverError(name, reason))])
    }

    /// The SQLSTATE of a lock that was not had in time (`lock_timeout`).
    static let lockNotAvailable = "55P03"

    /// The SQLSTATE of a failed result.
    static func state(_ result: OpaquePointer) -> String? {
        PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
    }

    private static func message(_ connection: OpaquePointer) -> String {
        trimmed(String(cString: PQerrorMessage(connection)))
    }

    private static func trimmed(_ text: String) -> String {
        var text = text
        while text.last == "\n" || text.last == " " { text.removeLast() }
        return text.replacingOccurrences(of: "\n", with: "; ")
    }

    /// `name` quoted as an SQL identifier.
    static func identifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `text` quoted as an SQL string literal.
    static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}

/// A query's rows as text (libpq's `PGresult`), copied out when it arrives.
struct PostgresRows {
    /// Column names, in order.
    let columns: [String]
    let rows: [[String?]]
    /// Column types, by OID (`pg_type`).
    let types: [UInt32]

    /// - Parameter owned: whether the rows clear `result` (else the caller does).
    @discardableResult
    init(checking result: OpaquePointer?, connection: PostgresConnection,
         expecting expected: ExecStatusType? = nil, owned: Bool = true) throws {
        guard let result else { throw connection.failure() }
        defer { if owned { PQclear(result) } }
        let status = PQresultStatus(result)
        guard status == expected || (expected == nil && [PGRES_COMMAND_OK, PGRES_TUPLES_OK].contains(status)) else {
            throw connection.failure(result)
        }
        let hasRows = status == PGRES_TUPLES_OK || status == PGRES_SINGLE_TUPLE
        let (rowCount, columnCount) = hasRows ? (PQntuples(result), PQnfields(result)) : (0, 0)
        columns = (0..<columnCount).map { String(cString: PQfname(result, $0)) }
        types = (0..<columnCount).map { PQftype(result, $0) }
        rows = (0..<rowCount).map { row in
            (0..<columnCount).map { column in
                PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
            }
        }
    }
}

/// PostgreSQL's epoch (2000-01-01T00:00:00Z) in Unix seconds: its binary times count
/// microseconds from it.
private let postgresEpoch: Int64 = 946_684_800

/// Rows in COPY's binary format (PostgreSQL's documentation, "COPY", "Binary Format"):
/// a header, then per row a 16-bit field count and per field a 32-bit length (-1 for
/// NULL) and its bytes, all big-endian; a trailer of -1. Sent in blocks of about 1 MB.
struct CopyRows {
    private var buffer: [UInt8] = []
    private let send: ([UInt8]) -> Bool
    private var failed = false
    private static let blockSize = 1 << 20

    init(send: @escaping ([UInt8]) -> Bool) {
        self.send = send
        buffer.reserveCapacity(Self.blockSize + 4096)
        buffer.append(contentsOf: Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00])
        append32(0)
        append32(0)
    }

    /// Starts a row of `fields` fields; after the previous row's last field, sends a block.
    mutating func row(_ fields: Int) {
        if buffer.count >= Self.blockSize { flush() }
        append16(Int16(fields))
    }

    mutating func null() { append32(-1) }

    mutating func text(_ bytes: UnsafeBufferPointer<UInt8>?) {
        guard let bytes else { return null() }
        append32(Int32(bytes.count))
        buffer.append(contentsOf: bytes)
    }

    mutating func text(_ value: String?) {
        guard var value else { return null() }
        value.withUTF8 { text($0) }
    }

    mutating func text(_ arena: UnsafeBufferPointer<UInt8>, _ ref: TextRef) {
        text(ref.isMissing ? nil : UnsafeBufferPointer(rebasing: arena[Int(ref.offset)..<Int(ref.offset) + Int(ref.length)]))
    }

    mutating func text(_ id: UserID) {
        append32(Int32(UserID.textLength))
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: UserID.textLength))
        buffer.withUnsafeMutableBufferPointer { id.write(to: $0.baseAddress! + start) }
    }

    mutating func bigint(_ value: Int64?) {
        guard let value else { return null() }
        append32(8)
        append64(value)
    }

    mutating func boolean(_ value: Bool) {
        append32(1)
        buffer.append(value ? 1 : 0)
    }

    /// A `timestamptz` of Unix seconds; `Record.noTime` is NULL.
    mutating func time(_ seconds: Int64) {
        guard seconds != Record.noTime else { return null() }
        bigint((seconds - postgresEpoch) * 1_000_000)
    }

    /// A `timestamptz` given as wxmerge writes times (`YYYY-MM-DDTHH:MM:SSZ`).
    mutating func time(_ bytes: UnsafeBufferPointer<UInt8>?) {
        guard let bytes, let seconds = Normalization.time(bytes) else { return null() }
        time(seconds)
    }

    /// A `jsonb` (its binary form is a version byte, 1, then the text).
    mutating func json(_ bytes: UnsafeBufferPointer<UInt8>?) {
        guard let bytes else { return null() }
        append32(Int32(bytes.count + 1))
        buffer.append(1)
        buffer.append(contentsOf: bytes)
    }

    mutating func json(_ value: String?) {
        guard var value else { return null() }
        value.withUTF8 { json($0) }
    }

    /// Sends the trailer and what is left; false when a block could not be sent.
    mutating func finish() -> Bool {
        append16(-1)
        flush()
        return !failed
    }

    private mutating func flush() {
        if !buffer.isEmpty, !failed { failed = !send(buffer) }
        buffer.removeAll(keepingCapacity: true)
    }

    private mutating func append16(_ value: Int16) {
        let value = UInt16(bitPattern: value)
        buffer.append(UInt8(value >> 8))
        buffer.append(UInt8(value & 0xFF))
    }

    private mutating func append32(_ value: Int32) {
        let value = UInt32(bitPattern: value)
        buffer.append(UInt8(value >> 24))
        buffer.append(UInt8((value >> 16) & 0xFF))
        buffer.append(UInt8((value >> 8) & 0xFF))
        buffer.append(UInt8(value & 0xFF))
    }

    private mutating func append64(_ value: Int64) {
        append32(Int32(truncatingIfNeeded: value >> 32))
        append32(Int32(truncatingIfNeeded: value))
    }
}

/// A row of a binary COPY out: per field a 32-bit length (-1 for NULL) and its bytes.
struct CopyRow {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var starts: [Int] = []
    private var lengths: [Int] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        let count = Int(Self.int16(bytes, at: 0))
        var offset = 2
        for _ in 0..<count where offset + 4 <= bytes.count {
            let length = Int(Self.int32(bytes, at: offset))
            starts.append(offset + 4)
            lengths.append(length)
            offset += 4 + max(0, length)
        }
    }

    /// Field `index`'s bytes; nil for NULL.
    func bytes(_ index: Int) -> UnsafeBufferPointer<UInt8>? {
        guard index < lengths.count, lengths[index] >= 0 else { return nil }
        return UnsafeBufferPointer(rebasing: bytes[starts[index]..<starts[index] + lengths[index]])
    }

    /// Field `index` as a `bigint`; nil for NULL.
    func bigint(_ index: Int) -> Int64? {
        guard let field = bytes(index), field.count == 8 else { return nil }
        return Int64(bitPattern: UInt64(UInt32(bitPattern: Self.int32(field, at: 0))) << 32
            | UInt64(UInt32(bitPattern: Self.int32(field, at: 4))))
    }

    /// Field `index` as a `timestamptz`, in Unix seconds; nil for NULL.
    func time(_ index: Int) -> Int64? {
        bigint(index).map { $0 / 1_000_000 + postgresEpoch }
    }

    static func int16(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> Int16 {
        Int16(bitPattern: UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1]))
    }

    static func int32(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> Int32 {
        Int32(bitPattern: UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3]))
    }
}

/// Calls `body` with `strings` as a NULL-terminated array of C strings.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withOptionalCStrings(strings + [nil]) { body($0) }
}

/// Calls `body` with `strings` as C strings, nil as a null pointer.
private func withOptionalCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { $0.map { strdup($0) } ?? nil }
    defer { for copy in copies { free(copy) } }
    let pointers = copies.map { $0.map { UnsafePointer($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
