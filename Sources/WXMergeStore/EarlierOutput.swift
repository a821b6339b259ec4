internal import GRDB
internal import GRDBSQLite
public import WXMergeCore
#if canImport(Glibc)
import Glibc
#endif

/// The output an earlier run wrote, read back for a new run: its users (to keep their
/// ids), its aliases and its runs (carried over). The same for every store: what differs
/// is where the users and accounts come from (`EarlierUsers`).
///
/// It is read in two steps. A store's `readEarlier` checks the output and reads what is
/// small (aliases and runs) while the exports are parsed; `state(for:job:)` reads the users
/// and who held each (appid, openid) once the records are in canonical order, matching the
/// accounts to the records as they come, so that a run never holds the earlier accounts
/// themselves.
public struct EarlierOutput: Sendable {
    /// A row of `runs`, carried over as it was: times as wxmerge writes them
    /// (`YYYY-MM-DDTHH:MM:SSZ`), `inputs` and `counts` as JSON text.
    public struct StoredRun: Sendable, Equatable {
        public var runID: Int
        public var startedAt: String
        public var finishedAt: String
        public var version: String
        public var configSHA256: String
        public var inputs: String
        public var counts: String

        package init(runID: Int, startedAt: String, finishedAt: String, version: String, configSHA256: String,
                     inputs: String, counts: String) {
            (self.runID, self.startedAt, self.finishedAt, self.version) = (runID, startedAt, finishedAt, version)
            (self.configSHA256, self.inputs, self.counts) = (configSHA256, inputs, counts)
        }
    }

    /// The output as messages name it.
    public let name: String
    public var aliases: [Alias]
    /// The id this run gets in `runs`: one more than the last earlier run's.
    public var runID: Int
    public var runs: [StoredRun]
    private let users: any EarlierUsers

    package init(name: String, aliases: [Alias], runs: [StoredRun], users: any EarlierUsers) {
        self.name = name
        self.aliases = aliases
        self.runs = runs
        runID = (runs.last?.runID ?? 0) + 1
        self.users = users
    }

    /// The earlier users, and the earlier user of each of the records.
    /// - Throws: `StoreError` when the output can no longer be read as it was.
    public func state(for ordered: OrderedRecords, job: Job) throws -> EarlierState {
        var state = EarlierState()
        state.aliases = aliases
        state.runID = runID
        // Users sorted by id, with their numbers as they were stored.
        var numbered: [(id: UserID, created: Int64, number: Int32)] = []
        var userOfNumber: [Int32] = []
        var matcher = EarlierAccountMatcher(ordered: ordered, job: job)
        let appids = job.apps.map { Array($0.appid.utf8) }
        var app: (appid: [UInt8], index: Int32?) = ([], nil)
        try users.read(users: { id, created, number in
            guard let id = UserID(bytes: id) else { return }
            numbered.append((id, created, Int32(truncatingIfNeeded: number)))
        }, usersRead: {
            numbered.sort { $0.id < $1.id }
            state.users = numbered.map(\.id)
            state.createdAt = numbered.map(\.created)
            // The stored user numbers, as indexes into `state.users`.
            userOfNumber = [Int32](repeating: -1, count: Int(numbered.map(\.number).max() ?? -1) + 1)
            for (index, user) in numbered.enumerated() where user.number >= 0 {
                userOfNumber[Int(user.number)] = Int32(index)
            }
            numbered = []
        }, accounts: { appid, openid, number, userID in
            if !appid.elementsEqual(app.appid) {
                app = (Array(appid), appids.firstIndex { $0.elementsEqual(appid) }.map(Int32.init))
            }
            guard let index = app.index else { return }
            let holder: Int32
            if let userID {
                guard let id = UserID(bytes: userID), let found = state.userIndex(of: id) else { return }
                holder = Int32(found)
            } else {
                guard number >= 0, number < userOfNumber.count, userOfNumber[Int(number)] >= 0 else { return }
                holder = userOfNumber[Int(number)]
            }
            matcher.add(app: index, openid: openid, user: holder)
        })
        state.holders = matcher.holders
        return state
    }
}

/// Where an earlier output's users and accounts are read from, in one consistent reading.
package protocol EarlierUsers: Sendable {
    /// Calls `users` for every earlier user (its id, `created_at` in Unix seconds or
    /// `Record.noTime`, and its stored number or -1), then `usersRead` once, then
    /// `accounts` for every earlier record in (appid, openid) byte order
    /// (`EarlierAccountMatcher`), with its user's number, or its user's id when the output
    /// stored ids (then non-nil). The bytes are valid during the call only.
    func read(users: (UnsafeBufferPointer<UInt8>, Int64, Int64) throws -> Void, usersRead: () throws -> Void,
              accounts: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>, Int64, UnsafeBufferPointer<UInt8>?) throws -> Void) throws
}

/// An earlier SQLite output database.
struct EarlierDatabase: EarlierUsers {
    let path: String
    let version: Int

    /// Checks the database at `path` and reads its aliases and runs; nil when there is none.
    /// - Throws: `StoreError` (cannot write) when the file is not a wxmerge database of a schema
    ///   version this build reads. The file is only read.
    static func read(path: String) throws -> EarlierOutput? {
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
            return EarlierOutput(name: path, aliases: aliases, runs: runs.map {
                EarlierOutput.StoredRun(runID: $0[0], startedAt: $0[1], finishedAt: $0[2], version: $0[3],
                                        configSHA256: $0[4], inputs: $0[5], counts: $0[6])
            }, users: EarlierDatabase(path: path, version: version))
        }
    }

    /// Schema versions this build reads: 1 stored each record's user id in `records`, 2
    /// a user number in `record_rows`, 3 in `record_users` (see `Schema`).
    static let versionsRead = 1...Schema.version

    func read(users: (UnsafeBufferPointer<UInt8>, Int64, Int64) throws -> Void, usersRead: () throws -> Void,
              accounts: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>, Int64, UnsafeBufferPointer<UInt8>?) throws -> Void) throws {
        let version = self.version
        try readingDatabase(path) { db in
            let numbered = version >= 2
            try forEachRawRow(db, "SELECT user_id, created_at, \(numbered ? "user_number" : "-1") FROM user_rows") { row in
                guard let id = Self.text(row, 0) else { return }
                let created = Self.text(row, 1).flatMap(Normalization.time) ?? Record.noTime
                try users(id, created, sqlite3_column_int64(row, 2))
            }
            try usersRead()
            let sql = switch version {
            case 1: "SELECT appid, openid, -1, user_id FROM records ORDER BY appid, openid"
            case 2: "SELECT appid, openid, user_number FROM record_rows ORDER BY appid, openid"
            default: """
                SELECT r.appid, r.openid, n.user_number FROM record_rows r
                JOIN record_users n ON n.record_id = r.record_id ORDER BY r.appid, r.openid
                """
            }
            try forEachRawRow(db, sql) { row in
                guard let appid = Self.text(row, 0), let openid = Self.text(row, 1) else { return }
                if numbered {
                    try accounts(appid, openid, sqlite3_column_int64(row, 2), nil)
                } else if let id = Self.text(row, 3) {
                    try accounts(appid, openid, -1, id)
                }
            }
        }
    }

    /// A text column's bytes, valid until the next step; nil for NULL.
    private static func text(_ row: OpaquePointer, _ column: Int32) -> UnsafeBufferPointer<UInt8>? {
        guard let bytes = sqlite3_column_text(row, column) else { return nil }
        return UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(row, column)))
    }
}
