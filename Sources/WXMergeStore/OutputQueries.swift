internal import GRDB
internal import GRDBSQLite
public import WXMergeCore

/// An output's tables as `explain` and `score` read them, whatever holds them: the SQLite
/// file (`SQLiteQueries`) or the live run of a PostgreSQL schema. Both have the same
/// tables and views under the same names (docs/reference.md, "Tables and views").
package protocol OutputQueries {
    /// Calls `body` with each row of `sql`, its parameters `$1`, `$2`, … bound to
    /// `arguments`. Values are text as SQLite gives them: integers in decimal, booleans
    /// `1` and `0`, times `YYYY-MM-DDTHH:MM:SSZ`.
    func forEachRow(_ sql: String, _ arguments: [String], _ body: (TextRow) throws -> Void) throws
    /// What orders a table's rows as they were written (`rowid` in SQLite).
    var writtenOrder: String { get }
}

extension OutputQueries {
    func rows(_ sql: String, _ arguments: [String] = []) throws -> [TextRow] {
        var rows: [TextRow] = []
        try forEachRow(sql, arguments) { rows.append($0) }
        return rows
    }
}

/// A row of text values, by column name or number.
package struct TextRow {
    package let names: [String]
    package let values: [String?]

    package init(names: [String], values: [String?]) {
        self.names = names
        self.values = values
    }

    package subscript(_ index: Int) -> String? { values[index] }
    package subscript(_ name: String) -> String? { names.firstIndex(of: name).flatMap { values[$0] } }
    func int(_ name: String) -> Int? { self[name].flatMap { Int($0) } }
}

/// An SQLite output, read-only.
struct SQLiteQueries: OutputQueries {
    let db: Database
    var writtenOrder: String { "rowid" }

    func forEachRow(_ sql: String, _ arguments: [String], _ body: (TextRow) throws -> Void) throws {
        var names: [String]?
        try forEachRawRow(db, sql, arguments: arguments) { raw in
            let count = sqlite3_column_count(raw)
            names = names ?? (0..<count).map { String(cString: sqlite3_column_name(raw, $0)) }
            let values = (0..<count).map { column -> String? in
                guard sqlite3_column_type(raw, column) != SQLITE_NULL, let text = sqlite3_column_text(raw, column) else { return nil }
                return String(decoding: UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(raw, column))), as: UTF8.self)
            }
            try body(TextRow(names: names!, values: values))
        }
    }
}

/// Runs `body` on the wxmerge database at `path`, read-only.
/// - Throws: `StoreError`: missing when there is no file, cannot write when it is not a
///   wxmerge database this build reads.
package func readingSQLiteOutput<T>(_ path: String, _ body: (any OutputQueries) throws -> T) throws -> T {
    try readingDatabase(path) { db in
        guard try db.tableExists("user_rows"),
              try Int.fetchOne(db, sql: "PRAGMA user_version") == Schema.version else {
            throw StoreMessage.failure(StoreMessage.notAWXMergeDatabase(path))
        }
        return try body(SQLiteQueries(db: db))
    }
}
