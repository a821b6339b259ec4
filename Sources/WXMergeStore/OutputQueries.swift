internal import GRDB
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
        let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(arguments))
        var names: [String]?
        while let row = try rows.next() {
            names = names ?? Array(row.columnNames)
            try body(TextRow(names: names!, values: row.databaseValues.map { value in
                switch value.storage {
                case .null: nil
                case .int64(let number): String(number)
                case .double(let number): String(number)
                case .string(let text): text
                case .blob(let data): String(decoding: data, as: UTF8.self)
                }
            }))
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
