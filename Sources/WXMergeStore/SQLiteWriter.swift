internal import GRDB
internal import GRDBSQLite
package import WXMergeCore
#if canImport(Glibc)
import Glibc
#endif

/// Writes a run's tables into a new SQLite file (docs/reference.md, "Tables and views"), step by step as
/// `OutputStore` orders them.
///
/// The file is a temporary one that nobody reads until it is complete and renamed, so
/// it is written without a journal or fsyncs (`OutputPublisher.publish` flushes the whole
/// file once, before it is put in place), in large transactions, with indexes built after
/// the load (docs/design.md). The big tables are written through raw
/// prepared statements: GRDB's argument arrays cost more than the insert itself.
/// `user_rows` is written into a part file (`partPath`) on another thread and then copied
/// in whole.
///
/// Invariant: between `writeRecords` and the end of `writeDecisions` one transaction is
/// open (the load); `close()` ends the connection, whatever step it is in.
final class SQLiteWriter {
    let job: Job
    /// The new database; it must not exist when `writeRecords` is called.
    let path: String
    private var queue: DatabaseQueue?

    init(job: Job, path: String) {
        self.job = job
        self.path = path
    }

    deinit {
        close()
    }

    /// The part of the database at `path` that holds `user_rows`.
    static func partPath(for path: String) -> String { path + ".part" }

    /// Creates the database (owner-only) and its tables, opens the load's transaction,
    /// and writes the records in canonical order.
    func writeRecords(_ ordered: OrderedRecords, spools: [PayloadSpool]) throws {
        queue = try Self.create(at: path)
        try access { db in
            try db.beginTransaction()
            try Schema.create(db, survivorship: job.survivorship)
            try Self.writeRecords(db, ordered, job: job, spools: spools)
        }
    }

    /// Writes each record's user number, then builds the records' indexes.
    func writeRecordUsers(_ userOf: [Int32]) throws {
        try access { db in
            try Self.writeRecordUsers(db, userOf)
            try db.execute(sql: Self.indexBuildSettings)
            try Schema.createRecordIndexes(db)
        }
    }

    /// Writes the other tables and their indexes, and commits the load.
    func writeDecisions(_ decisions: Decisions, linkTexts: LinkTexts) throws {
        let job = self.job
        try access { db in
            let result = decisions.result
            try Self.writeLinks(db, result.links, texts: linkTexts)
            try Self.writeConflicts(db, result, job: job)
            try Self.writeRejected(db, decisions.rejections)
            try Self.writeAliases(db, result.aliases)
            try Self.writeSuggestions(db, result, job: job)
            for earlier in decisions.earlierRuns {
                try db.execute(sql: "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                               arguments: [earlier.runID, earlier.startedAt, earlier.finishedAt, earlier.version,
                                           earlier.configSHA256, earlier.inputs, earlier.counts])
            }
            try Schema.createIndexes(db)
            try db.commit()
        }
    }

    /// Writes `user_rows`, with its index, into a part file beside `path` (`partPath`,
    /// owner-only), which `addUsers` copies in whole: a caller can write it on another
    /// thread while the records' indexes and the links go in.
    static func writeUsers(_ result: Reconciliation, for path: String) throws {
        let queue = try create(at: partPath(for: path))
        defer { try? queue.close() }
        try access(queue, path) { db in
            try db.inTransaction {
                try db.execute(sql: Schema.userRows)
                try Self.writeUserRows(db, result)
                try db.execute(sql: Self.indexBuildSettings)
                try db.execute(sql: Schema.userRowsIndex)
                return .commit
            }
        }
    }

    /// Copies the users' part in, then removes it.
    func addUsers() throws {
        let part = Self.partPath(for: path)
        defer { unlink(part) }
        try access { db in
            // Outside of a transaction: SQLite attaches no database inside one.
            try db.execute(sql: "ATTACH DATABASE ? AS part", arguments: [part])
            try db.inTransaction {
                try db.execute(sql: "INSERT INTO user_rows SELECT * FROM part.user_rows")
                return .commit
            }
            try db.execute(sql: "DETACH DATABASE part")
        }
    }

    /// Writes this run's row of `runs` and closes the database.
    func writeRun(_ run: RunRow, id: Int) throws {
        try access { db in
            try db.execute(
                sql: "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [id, run.startedAt, run.finishedAt, run.version, run.configSHA256,
                            RunRow.json(run.inputs, value: JSONText.quoted),
                            RunRow.json(run.counts) { String($0) }])
        }
        try queue?.close()
        queue = nil
    }

    /// Ends the connection (after a failure: what was written is the caller's to remove).
    func close() {
        try? queue?.close()
        queue = nil
    }

    private func access(_ body: (Database) throws -> Void) throws {
        guard let queue else { throw StoreMessage.failure(StoreMessage.cannotWrite(path, "the database is not open")) }
        try Self.access(queue, path, body)
    }

    private static func access(_ queue: DatabaseQueue, _ path: String, _ body: (Database) throws -> Void) throws {
        do {
            try queue.writeWithoutTransaction(body)
        } catch let error as DatabaseError {
            throw StoreMessage.failure(StoreMessage.cannotWrite(path, error.message ?? "\(error.resultCode)"))
        }
    }

    /// Set before the indexes are built after a bulk load: the builds sort in runs of the
    /// cache's size, merged. Without helper threads (`PRAGMA threads`): the other core is
    /// busy with the users' part by then, and the helpers cost a quarter more CPU than
    /// the sort they take over.
    private static let indexBuildSettings = "PRAGMA cache_size = -2000"

    /// Creates the database at `path` (owner-only; it must not exist, and is never
    /// opened through a symlink) and opens it without a journal or SQLite's fsyncs. A
    /// transaction may stay open from one step to the next (`allowsUnsafeTransactions`).
    private static func create(at path: String) throws -> DatabaseQueue {
        let fd = open(path, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StoreMessage.failure(StoreMessage.cannotCreate(path, errno))
        }
        Glibc.close(fd)
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true
        configuration.prepareDatabase { db in
            try db.execute(sql: """
                PRAGMA page_size = 16384;
                PRAGMA journal_mode = OFF;
                PRAGMA synchronous = OFF;
                """)
        }
        do {
            return try DatabaseQueue(path: path, configuration: configuration)
        } catch let error as DatabaseError {
            throw StoreMessage.failure(StoreMessage.cannotWrite(path, error.message ?? "\(error.resultCode)"))
        }
    }

    // MARK: Tables

    private static func writeRecords(_ db: Database, _ result: OrderedRecords, job: Job,
                                     spools: [PayloadSpool]) throws {
        let insert = try BatchedInsert(db, table: "record_rows", columns: 21, rows: result.records.count)
        let texts = RecordTexts(job: job, ordered: result)
        let payloads = PayloadQueue(records: result.records, spools: spools)
        defer { payloads.stop() }
        try result.arena.withUnsafeBufferPointer { arena in
            for (index, record) in result.records.enumerated() {
                let payload = try payloads.payload(index)
                let row = insert.binder(for: index)
                // NULL: SQLite numbers the rows 1, 2, … as they come, which is index + 1,
                // without first looking each id up (checked after the last row).
                row.int(1, nil)
                row.text(2, texts.appids[Int(record.app)])
                row.text(3, texts.types[Int(record.app)])
                row.text(4, record.platform >= 0 ? texts.platforms[Int(record.platform)] : nil)
                row.text(5, arena, record.openid)
                row.text(6, arena, record.unionid)
                row.text(7, texts.sources[Int(record.source)])
                row.text(8, arena, record.legacyID)
                row.text(9, payload[.nickname])
                row.text(10, payload[.avatarURL])
                row.text(11, payload[.phone])
                row.int(12, record.fields.contains(.phoneVerified) ? 1 : 0)
                row.text(13, payload[.email])
                row.text(14, payload.createdAt)
                row.text(15, payload.updatedAt)
                row.text(16, payload[.attributes])
                row.text(17, texts.files[Int(record.file)])
                row.int(18, Int64(record.line))
                row.text(19, record.originalApp >= 0 ? texts.appids[Int(record.originalApp)] : nil)
                row.text(20, arena, record.originalOpenID)
                row.int(21, Int64(record.ordinal))
                try insert.rowDone(index)
            }
        }
        try checkNumbering(db, table: "record_rows", count: result.records.count)
    }

    /// Rows whose record_id was bound as NULL are numbered 1, 2, … by SQLite, without a
    /// lookup each: this checks that the last is `count`.
    private static func checkNumbering(_ db: Database, table: String, count: Int) throws {
        let last = try Int.fetchOne(db, sql: "SELECT max(record_id) FROM \(table)") ?? 0
        guard last == count else {
            throw StoreMessage.failure("record ids in \(table) run to \(last), not \(count)")
        }
    }

    /// Each record's user number, in record order: the table grows by appending, its
    /// rows numbered by SQLite as the records' are (checked after the last).
    private static func writeRecordUsers(_ db: Database, _ userOf: [Int32]) throws {
        let insert = try BatchedInsert(db, table: "record_users", columns: 2, rows: userOf.count, rowsPerStatement: 64)
        for (index, user) in userOf.enumerated() {
            let row = insert.binder(for: index)
            row.int(1, nil)
            row.int(2, Int64(user))
            try insert.rowDone(index)
        }
        try checkNumbering(db, table: "record_users", count: userOf.count)
    }

    /// Users in number order, `user_number` the table's key, so the table grows by
    /// appending.
    private static func writeUserRows(_ db: Database, _ result: Reconciliation) throws {
        let insert = try BatchedInsert(db, table: "user_rows", columns: 10, rows: result.users.count)
        for (index, facts) in result.users.enumerated() {
            let row = insert.binder(for: index)
            row.text(1, facts.id)
            row.int(2, Int64(index))
            row.time(3, facts.createdAt)
            row.time(4, facts.updatedAt)
            row.int(5, Int64(facts.recordCount))
            row.int(6, Int64(facts.appCount))
            for slot in 0..<4 {
                let survivor = facts.survivors[slot]
                row.int(Int32(7 + slot), survivor < 0 ? nil : Int64(survivor) + 1)
            }
            try insert.rowDone(index)
        }
    }

    private static func writeLinks(_ db: Database, _ links: [Link], texts: LinkTexts) throws {
        let insert = try BatchedInsert(db, table: "links", columns: 5, rows: links.count)
        let rules = ConstantTexts(Rule.allCases.map(\.rawValue))
        try texts.bytes.withUnsafeBufferPointer { bytes in
            var start = 0
            for (index, link) in links.enumerated() {
                let row = insert.binder(for: index)
                let (idEnd, end) = (start + UserID.textLength, texts.ends[index])
                row.text(1, UnsafeBufferPointer(rebasing: bytes[start..<idEnd]))
                row.text(2, rules[Rule.allCases.firstIndex(of: link.rule)!])
                row.text(3, UnsafeBufferPointer(rebasing: bytes[idEnd..<end]))
                row.int(4, Int64(link.a) + 1)
                row.int(5, Int64(link.b) + 1)
                try insert.rowDone(index)
                start = end
            }
        }
    }

    private static func writeConflicts(_ db: Database, _ result: Reconciliation, job: Job) throws {
        let statement = try db.makeStatement(sql: "INSERT INTO conflicts VALUES (?, ?, ?, ?, ?, ?)")
        for conflict in result.conflicts {
            try statement.execute(arguments: [
                conflict.rule.rawValue, result.key(of: conflict.rule, record: conflict.a, in: job),
                Int64(conflict.a) + 1, Int64(conflict.b) + 1,
                conflict.constraint.rawValue, conflict.resolution.rawValue,
            ])
        }
    }

    private static func writeSuggestions(_ db: Database, _ result: Reconciliation, job: Job) throws {
        let statement = try db.makeStatement(sql: "INSERT INTO suggestions VALUES (?, ?, ?, ?)")
        let row = RowBinder(statement.sqliteStatement)
        for suggestion in result.suggestions {
            row.text(1, suggestion.rule.rawValue)
            row.text(2, result.key(of: suggestion.rule, record: suggestion.a, in: job))
            row.text(3, result.users[Int(result.userOf[Int(suggestion.a)])].id)
            row.text(4, result.users[Int(result.userOf[Int(suggestion.b)])].id)
            try row.step()
        }
    }

    private static func writeAliases(_ db: Database, _ aliases: [Alias]) throws {
        let statement = try db.makeStatement(sql: "INSERT INTO user_aliases VALUES (?, ?, ?)")
        for alias in aliases {
            try statement.execute(arguments: [alias.old.text, alias.user.text, alias.runID])
        }
    }

    private static func writeRejected(_ db: Database, _ rejections: [Rejection]) throws {
        let statement = try db.makeStatement(sql: "INSERT INTO rejected VALUES (?, ?, ?, ?, ?)")
        for rejection in rejections {
            try statement.execute(arguments: [
                rejection.location.file, rejection.location.line, rejection.location.column,
                rejection.reason, rejection.raw,
            ])
        }
    }
}

/// The texts the records' rows repeat, by the records' indexes into them: appids and app
/// types (by app), platforms, sources and files.
package struct RecordTexts {
    package let appids: ConstantTexts
    package let types: ConstantTexts
    package let platforms: ConstantTexts
    package let sources: ConstantTexts
    package let files: ConstantTexts

    package init(job: Job, ordered: OrderedRecords) {
        appids = ConstantTexts(job.apps.map(\.appid))
        types = ConstantTexts(job.apps.map(\.type.rawValue))
        platforms = ConstantTexts(job.platforms.map(\.id))
        sources = ConstantTexts(ordered.sources)
        files = ConstantTexts(ordered.files)
    }
}

/// Texts that many rows repeat (appids, app types, sources, files), copied once into
/// memory that stays put, so rows bind them without a copy.
package final class ConstantTexts {
    private let bytes: UnsafeMutableBufferPointer<UInt8>
    private let ranges: [Range<Int>]

    package init(_ texts: [String]) {
        bytes = .allocate(capacity: max(1, texts.reduce(0) { $0 + $1.utf8.count }))
        var ranges: [Range<Int>] = []
        var end = 0
        for text in texts {
            let start = end
            end = bytes[start...].initialize(from: text.utf8).1
            ranges.append(start..<end)
        }
        self.ranges = ranges
    }

    deinit {
        bytes.deallocate()
    }

    package subscript(index: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[ranges[index]])
    }
}

/// Each link's user id and key (as `Reconciliation.key(of:record:in:)` gives it), laid
/// out in one buffer before the links go in. Looking each link's user and key up took
/// the SQLite thread as long as inserting the link; laid out beforehand on the other
/// core, the texts are bound where they lie.
public struct LinkTexts: Sendable {
    /// Link after link: its user id (`UserID.textLength` bytes), then its key.
    package let bytes: [UInt8]
    /// Where each link's texts end in `bytes`.
    package let ends: [Int]

    package init(_ result: Reconciliation, job: Job) {
        let appids = ConstantTexts(job.apps.map(\.appid))
        let platforms = ConstantTexts(job.platforms.map(\.id))
        let sources = ConstantTexts(result.sources)
        var bytes: [UInt8] = []
        var ends: [Int] = []
        bytes.reserveCapacity(result.links.count * (UserID.textLength + 48))
        ends.reserveCapacity(result.links.count)
        var id = [UInt8](repeating: 0, count: UserID.textLength)
        let (users, userOf) = (result.users, result.userOf)
        result.arena.withUnsafeBufferPointer { arena in
            for link in result.links {
                id.withUnsafeMutableBufferPointer { users[Int(userOf[Int(link.a)])].id.write(to: $0.baseAddress!) }
                bytes.append(contentsOf: id)
                let (scope, ref) = result.keyParts(of: link.rule, record: link.a)
                let scopeBytes: UnsafeBufferPointer<UInt8>? = switch scope {
                case .app(let app): appids[Int(app)]
                case .platform(let platform): platforms[Int(platform)]
                case .source(let source): sources[Int(source)]
                case .none: nil
                }
                if let scopeBytes {
                    bytes.append(contentsOf: scopeBytes)
                    bytes.append(UInt8(ascii: ":"))
                }
                if !ref.isMissing {
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: arena[Int(ref.offset)..<Int(ref.offset) + Int(ref.length)]))
                }
                ends.append(bytes.count)
            }
        }
        self.bytes = bytes
        self.ends = ends
    }
}

/// Inserts rows several to a statement (`INSERT … VALUES (…), (…), …`), which costs
/// SQLite less per row than one statement a row; the rows that do not fill a statement
/// go one by one.
struct BatchedInsert {
    /// The GRDB statements own the SQLite statements the binders point at.
    private let statements: [Statement]
    private let many: RowBinder
    private let one: RowBinder
    private let columns: Int32
    private let rowsPerStatement: Int
    private let batched: Int

    static let rowsPerStatement = 16

    init(_ db: Database, table: String, columns: Int, rows: Int, rowsPerStatement: Int = rowsPerStatement) throws {
        let values = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        let statement = { (count: Int) in
            try db.makeStatement(sql: "INSERT INTO \(table) VALUES " + Array(repeating: values, count: count).joined(separator: ", "))
        }
        statements = [try statement(rowsPerStatement), try statement(1)]
        many = RowBinder(statements[0].sqliteStatement)
        one = RowBinder(statements[1].sqliteStatement)
        self.columns = Int32(columns)
        self.rowsPerStatement = rowsPerStatement
        batched = rows / rowsPerStatement * rowsPerStatement
    }

    /// The binder for row `index` (0-based), its columns numbered from 1 as usual.
    func binder(for index: Int) -> RowBinder {
        guard index < batched else { return one }
        var binder = many
        binder.base = Int32(index % rowsPerStatement) * columns
        return binder
    }

    /// Runs the statement when row `index` was its last.
    func rowDone(_ index: Int) throws {
        if index >= batched {
            try one.step()
        } else if index % rowsPerStatement == rowsPerStatement - 1 {
            try many.step()
        }
    }
}

/// Binds values to a prepared statement by column number (offset by `base` for the
/// later rows of a multi-row insert) and steps it.
///
/// Text given as bytes is bound without a copy (`SQLITE_STATIC`): the caller keeps the
/// bytes where they are until the statement's next step. Copying every value cost more
/// than the inserts themselves. Times and user ids are formatted into a slot per
/// parameter that the binder owns.
struct RowBinder {
    let statement: OpaquePointer
    var base: Int32 = 0
    private let slots: TextSlots
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    /// A pointer for empty text: SQLite reads a null pointer as NULL, not as ''.
    nonisolated(unsafe) private static let empty: UnsafePointer<CChar> = {
        let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
        pointer.pointee = 0
        return UnsafePointer(pointer)
    }()

    init(_ statement: OpaquePointer) {
        self.statement = statement
        slots = TextSlots(parameters: Int(sqlite3_bind_parameter_count(statement)))
    }

    func int(_ column: Int32, _ value: Int64?) {
        if let value {
            sqlite3_bind_int64(statement, base + column, value)
        } else {
            sqlite3_bind_null(statement, base + column)
        }
    }

    /// Binds a copy of `value`.
    func text(_ column: Int32, _ value: String?) {
        guard var value else {
            sqlite3_bind_null(statement, base + column)
            return
        }
        value.withUTF8 { bytes in
            let base = bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
            _ = sqlite3_bind_text(statement, self.base + column, base ?? Self.empty, Int32(bytes.count), Self.transient)
        }
    }

    /// Binds `bytes` in place: they must stay where they are until the next step.
    func text(_ column: Int32, _ bytes: UnsafeBufferPointer<UInt8>?) {
        guard let bytes else {
            sqlite3_bind_null(statement, base + column)
            return
        }
        let start = bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }
        sqlite3_bind_text(statement, base + column, start ?? Self.empty, Int32(bytes.count), nil)
    }

    func text(_ column: Int32, _ arena: UnsafeBufferPointer<UInt8>, _ ref: TextRef) {
        text(column, ref.isMissing ? nil : UnsafeBufferPointer(rebasing: arena[Int(ref.offset)..<Int(ref.offset) + Int(ref.length)]))
    }

    func time(_ column: Int32, _ seconds: Int64) {
        guard seconds != Record.noTime else {
            sqlite3_bind_null(statement, base + column)
            return
        }
        let slot = slots.slot(Int(base + column))
        Normalization.writeTime(seconds, to: slot)
        text(column, UnsafeBufferPointer(start: slot, count: Normalization.timeLength))
    }

    func text(_ column: Int32, _ id: UserID) {
        let slot = slots.slot(Int(base + column))
        id.write(to: slot)
        text(column, UnsafeBufferPointer(start: slot, count: UserID.textLength))
    }

    func step() throws {
        let code = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard code == SQLITE_DONE else {
            let db = sqlite3_db_handle(statement)
            throw StoreMessage.failure(String(cString: sqlite3_errmsg(db)))
        }
    }
}

/// Room for one formatted time or user id per statement parameter.
final class TextSlots {
    private static let length = max(Normalization.timeLength, UserID.textLength)
    private let bytes: UnsafeMutablePointer<UInt8>

    init(parameters: Int) {
        bytes = .allocate(capacity: (parameters + 1) * Self.length)
    }

    deinit {
        bytes.deallocate()
    }

    func slot(_ parameter: Int) -> UnsafeMutablePointer<UInt8> {
        bytes + parameter * Self.length
    }
}
