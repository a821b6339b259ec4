internal import GRDB
internal import GRDBSQLite
public import WXMergeCore
#if canImport(Glibc)
import Glibc
#endif

/// The output database an earlier run wrote, read back for a new run: its users (to keep
/// their ids), its aliases and its runs (carried over).
///
/// It is read in two steps. `read` checks the file and reads what is small (aliases and
/// runs) while the exports are parsed; `state(for:job:)` reads the users and who held
/// each (appid, openid) once the records are in canonical order, matching the accounts to the
/// records as they come, so that a run never holds the earlier accounts themselves.
public struct EarlierOutput: Sendable {
    /// A row of `runs`, carried over as it was.
    public struct StoredRun: Sendable {
        var values: [DatabaseValue]
    }

    public let path: String
    let version: Int
    public var aliases: [Alias]
    /// The id this run gets in `runs`: one more than the last earlier run's.
    public var runID: Int
    public var runs: [StoredRun]

    /// Checks the database at `path` and reads its aliases and runs; nil when there is none.
    /// - Throws: `StoreError` (cannot write) when the file is not a wxmerge database of a schema
    ///   version this build reads. The file is only read.
    public static func read(path: String) throws -> EarlierOutput? {
        guard access(path, F_OK) == 0 else { return nil }
        return try readingDatabase(path) { db in
            guard try db.tableExists("runs"), try db.tableExists("user_rows") else {
                throw StoreMessage.failure(StoreMessage.notAWXMergeDatabase(path))
            }
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            guard Self.versionsRead.contains(version) else {
                throw StoreMessage.failure(StoreMessage.unsupportedSchema(path, version))
            }
            var aliases: [Alias] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT old_user_id, user_id, run_id FROM user_aliases ORDER BY old_user_id")
            while let row = try rows.next() {
                guard let old = UserID(text: row[0]), let user = UserID(text: row[1]) else { continue }
                aliases.append(Alias(old: old, user: user, runID: row[2]))
            }
            let runs = try Row.fetchAll(db, sql: "SELECT run_id, started_at, finished_at, version, config_sha256, inputs, counts FROM runs ORDER BY run_id")
            return EarlierOutput(path: path, version: version, aliases: aliases,
                                 runID: (runs.last.map { $0[0] as Int } ?? 0) + 1,
                                 runs: runs.map { StoredRun(values: Array($0.databaseValues)) })
        }
    }

    /// Schema versions this build reads: 1 stored each record's user id in `records`, 2
    /// a user number in `record_rows`, 3 in `record_users` (see `Schema`).
    static let versionsRead = 1...Schema.version

    /// The earlier users, and the earlier user of each of the records.
    /// - Throws: `StoreError` (cannot write) when the file can no longer be read as it was.
    public func state(for ordered: OrderedRecords, job: Job) throws -> EarlierState {
        let (path, version) = (self.path, self.version)
        var state = EarlierState()
        state.aliases = aliases
        state.runID = runID
        try readingDatabase(path) { db in
            // Users sorted by id, with their numbers as they were stored.
            let numbered = version >= 2
            var users: [(id: UserID, created: Int64, number: Int32)] = []
            try Self.forEachRow(db, "SELECT user_id, created_at, \(numbered ? "user_number" : "-1") FROM user_rows") { row in
                guard let id = Self.text(row, 0).flatMap(UserID.init(bytes:)) else { return }
                let created = Self.text(row, 1).flatMap(Normalization.time) ?? Record.noTime
                users.append((id, created, Int32(truncatingIfNeeded: sqlite3_column_int64(row, 2))))
            }
            users.sort { $0.id < $1.id }
            state.users = users.map(\.id)
            state.createdAt = users.map(\.created)
            // The stored user numbers, as indexes into `state.users`.
            var userOfNumber = [Int32](repeating: -1, count: numbered ? Int(users.map(\.number).max() ?? -1) + 1 : 0)
            for (index, user) in users.enumerated() where user.number >= 0 {
                userOfNumber[Int(user.number)] = Int32(index)
            }
            users = []

            // Each account's user: by number, or by id in a version 1 database.
            var matcher = EarlierAccountMatcher(ordered: ordered, job: job)
            let appids = job.apps.map { Array($0.appid.utf8) }
            var app: (appid: [UInt8], index: Int32?) = ([], nil)
            let accounts = switch version {
            case 1: "SELECT appid, openid, user_id FROM records ORDER BY appid, openid"
            case 2: "SELECT appid, openid, user_number FROM record_rows ORDER BY appid, openid"
            default: """
                SELECT r.appid, r.openid, n.user_number FROM record_rows r
                JOIN record_users n ON n.record_id = r.record_id ORDER BY r.appid, r.openid
                """
            }
            try Self.forEachRow(db, accounts) { row in
                guard let appid = Self.text(row, 0), let openid = Self.text(row, 1) else { return }
                if !appid.elementsEqual(app.appid) {
                    app = (Array(appid), appids.firstIndex { $0.elementsEqual(appid) }.map(Int32.init))
                }
                guard let index = app.index else { return }
                let holder: Int32
                if numbered {
                    let number = sqlite3_column_int64(row, 2)
                    guard number >= 0, number < userOfNumber.count, userOfNumber[Int(number)] >= 0 else { return }
                    holder = userOfNumber[Int(number)]
                } else {
                    guard let id = Self.text(row, 2).flatMap(UserID.init(bytes:)),
                          let found = state.userIndex(of: id) else { return }
                    holder = Int32(found)
                }
                matcher.add(app: index, openid: openid, user: holder)
            }
            state.holders = matcher.holders
        }
        return state
    }

    /// Steps through the rows of `sql`, read in place with `sqlite3_column_*`: GRDB's rows
    /// would make a String of every text, and there are a million rows and more.
    private static func forEachRow(_ db: Database, _ sql: String, _ body: (OpaquePointer) throws -> Void) throws {
        let statement = try db.makeStatement(sql: sql)
        let raw = statement.sqliteStatement
        defer { sqlite3_reset(raw) }
        while true {
            let code = sqlite3_step(raw)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw DatabaseError(resultCode: ResultCode(rawValue: code)) }
            try body(raw)
        }
    }

    /// A text column's bytes, valid until the next step; nil for NULL.
    private static func text(_ row: OpaquePointer, _ column: Int32) -> UnsafeBufferPointer<UInt8>? {
        guard let bytes = sqlite3_column_text(row, column) else { return nil }
        return UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(row, column)))
    }
}
