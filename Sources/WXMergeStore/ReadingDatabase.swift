internal import GRDB
internal import GRDBSQLite
import WXMergeCore
#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` on the wxmerge database at `path`, opened read-only (nightly runs,
/// `explain` and `score` read outputs this way).
/// - Throws: `StoreError`: missing when there is no file at `path`; a diagnosed error
///   `body` throws, as it is; any other failure as "not a wxmerge database", naming the file.
///   The file is only read.
func readingDatabase<T>(_ path: String, _ body: (Database) throws -> T) throws -> T {
    guard access(path, F_OK) == 0 else {
        throw StoreError(.missing, [.error(at: nil, StoreMessage.noDatabase(path))])
    }
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
        return try queue.read(body)
    } catch let failure as any DiagnosedError {
        throw failure
    } catch {
        throw StoreMessage.failure(StoreMessage.notAWXMergeDatabase(path))
    }
}

/// Steps through the rows of `sql` (its parameters bound to `arguments`), each read in
/// place with `sqlite3_column_*` during `body`: GRDB's rows would make a value of every
/// column, and the earlier output and an export read millions of rows.
func forEachRawRow(_ db: Database, _ sql: String, arguments: [String] = [], _ body: (OpaquePointer) throws -> Void) throws {
    let statement = try db.makeStatement(sql: sql)
    if !arguments.isEmpty { try statement.setArguments(StatementArguments(arguments)) }
    let raw = statement.sqliteStatement
    defer { sqlite3_reset(raw) }
    while true {
        let code = sqlite3_step(raw)
        if code == SQLITE_DONE { return }
        guard code == SQLITE_ROW else { throw DatabaseError(resultCode: ResultCode(rawValue: code)) }
        try body(raw)
    }
}
