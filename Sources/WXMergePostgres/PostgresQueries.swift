import Foundation
package import WXMergeCore
package import WXMergeStore

/// The live output of a PostgreSQL schema, as `explain` and `score` read it: its run's
/// schema first on the search path, where the tables and views have the names they have
/// in SQLite. Values are given as SQLite gives them (`OutputQueries`).
struct PostgresQueries: OutputQueries {
    let connection: PostgresConnection
    /// `ctid` orders a table's rows as they were written: run tables are loaded once by
    /// COPY and never updated.
    var writtenOrder: String { "ctid" }

    private static let boolean: UInt32 = 16
    private static let timestamptz: UInt32 = 1184

    func forEachRow(_ sql: String, _ arguments: [String], _ body: (TextRow) throws -> Void) throws {
        try connection.stream(sql, arguments) { result in
            for row in result.rows {
                try body(TextRow(names: result.columns, values: zip(row, result.types).map(Self.sqliteText)))
            }
        }
    }

    /// A value as SQLite gives it.
    private static func sqliteText(_ value: String?, type: UInt32) -> String? {
        guard let value else { return nil }
        switch type {
        case boolean: return value == "t" ? "1" : "0"
        // `YYYY-MM-DD HH:MM:SS+00` (the session is in UTC) as wxmerge writes times.
        case timestamptz: return value.replacingOccurrences(of: " ", with: "T").replacingOccurrences(of: "+00", with: "Z")
        default: return value
        }
    }
}

/// Runs `body` on the live output in `schema` of the database at `address`, read-only.
/// - Throws: `StoreError`: unavailable when the server cannot be reached, missing when
///   the schema holds no output, cannot write when it holds something else.
package func readingPostgresOutput<T>(_ address: PostgresURI, schema: String,
                                      _ body: (any OutputQueries) throws -> T) throws -> T {
    let connection = try PostgresConnection(address)
    let name = address.displayName + " (schema \(schema))"
    guard let run = try PostgresEarlier.liveRunSchema(connection, schema: schema, name: name) else {
        throw StoreError(.missing, [.error(at: nil, "no wxmerge output in \(name)")])
    }
    try connection.execute("""
        SET TimeZone = 'UTC'; SET search_path = \(PostgresConnection.identifier(run));
        BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY
        """)
    return try body(PostgresQueries(connection: connection))
}
