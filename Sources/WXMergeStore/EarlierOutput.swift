internal import GRDB
public import WXMergeCore
#if canImport(Glibc)
import Glibc
#endif

/// The output database an earlier run wrote, read back for a new run: its users (to keep
/// their ids), its aliases and its runs (carried over).
public struct EarlierOutput: Sendable {
    /// A row of `runs`, carried over as it was.
    public struct StoredRun: Sendable {
        var values: [DatabaseValue]
    }

    public var state: EarlierState
    public var runs: [StoredRun]

    /// Reads the database at `path`; nil when there is none.
    /// - Throws: `RunFailure` 73 when the file is not a wxmerge database of a schema
    ///   version this build reads. The file is only read.
    public static func read(path: String, job: Job) throws -> EarlierOutput? {
        guard access(path, F_OK) == 0 else { return nil }
        var configuration = Configuration()
        configuration.readonly = true
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw StoreMessage.failure(StoreMessage.notAWXMergeDatabase(path))
        }
        defer { try? queue.close() }
        do {
            return try queue.read { db in
                guard try db.tableExists("runs"), try db.tableExists("user_rows") else {
                    throw StoreMessage.failure(StoreMessage.notAWXMergeDatabase(path))
                }
                let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                guard Self.versionsRead.contains(version) else {
                    throw StoreMessage.failure(StoreMessage.unsupportedSchema(path, version))
                }
                return try read(db, job: job, version: version)
            }
        } catch let failure as RunFailure {
            throw failure
        } catch {
            throw StoreMessage.failure(StoreMessage.notAWXMergeDatabase(path))
        }
    }

    /// Schema versions this build reads: 1 stored each record's user id in `records`, 2
    /// stores a user number in `record_rows` (see `Schema`).
    static let versionsRead = 1...Schema.version

    private static func read(_ db: Database, job: Job, version: Int) throws -> EarlierOutput {
        var state = EarlierState()
        var users: [(id: UserID, created: Int64, number: Int)] = []
        let numbered = version >= 2
        let rows = try Row.fetchCursor(db, sql: "SELECT user_id, created_at, \(numbered ? "user_number" : "-1") FROM user_rows")
        while let row = try rows.next() {
            guard let id = UserID(text: row[0]) else { continue }
            let created: String? = row[1]
            let seconds = created.flatMap { text in Array(text.utf8).withUnsafeBufferPointer { Normalization.time($0) } }
            users.append((id, seconds ?? Record.noTime, row[2]))
        }
        users.sort { $0.id < $1.id }
        state.users = users.map(\.id)
        state.createdAt = users.map(\.created)
        // The stored user numbers, as indexes into `state.users`.
        var userOfNumber: [Int32] = []
        for (index, user) in users.enumerated() where user.number >= 0 {
            if user.number >= userOfNumber.count {
                userOfNumber.append(contentsOf: repeatElement(-1, count: user.number - userOfNumber.count + 1))
            }
            userOfNumber[user.number] = Int32(index)
        }

        // Each account's user, as an index into `state.users`: by number, or by id in a
        // version 1 database.
        func user(_ row: Row) -> Int32? {
            if numbered {
                let number: Int = row[2]
                return number >= 0 && number < userOfNumber.count && userOfNumber[number] >= 0 ? userOfNumber[number] : nil
            }
            return UserID(text: row[2]).flatMap { state.userIndex(of: $0) }.map(Int32.init)
        }
        let appIndex = Dictionary(uniqueKeysWithValues: job.apps.enumerated().map { ($1.appid, Int32($0)) })
        let accounts = try Row.fetchCursor(db, sql: numbered
            ? "SELECT appid, openid, user_number FROM record_rows ORDER BY appid, openid"
            : "SELECT appid, openid, user_id FROM records ORDER BY appid, openid")
        while let row = try accounts.next() {
            guard let app = appIndex[row[0] as String], let holder = user(row) else { continue }
            let openid: String = row[1]
            let ref = TextRef(offset: UInt32(state.arena.count), length: UInt32(openid.utf8.count))
            state.arena.append(contentsOf: openid.utf8)
            state.accounts.append(.init(app: app, openid: ref, user: holder))
        }

        let aliases = try Row.fetchCursor(db, sql: "SELECT old_user_id, user_id, run_id FROM user_aliases ORDER BY old_user_id")
        while let row = try aliases.next() {
            guard let old = UserID(text: row[0]), let user = UserID(text: row[1]) else { continue }
            state.aliases.append(Alias(old: old, user: user, runID: row[2]))
        }
        let runs = try Row.fetchAll(db, sql: "SELECT run_id, started_at, finished_at, version, config_sha256, inputs, counts FROM runs ORDER BY run_id")
        state.runID = (runs.last.map { $0[0] as Int } ?? 0) + 1
        return EarlierOutput(state: state, runs: runs.map { StoredRun(values: Array($0.databaseValues)) })
    }
}
