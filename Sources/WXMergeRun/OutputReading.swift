public import WXMergeCore
package import WXMergeStore
internal import WXMergePostgres

/// Runs `body` on the output `database` names, read-only: a PostgreSQL URI (the output in
/// its `schema`) or an SQLite file.
/// - Throws: `StoreError`: missing when there is no output, unavailable when the server
///   cannot be reached, cannot write when what is there is not a wxmerge output.
package func readingOutput<T>(_ database: String, schema: String, _ body: (any OutputQueries) throws -> T) throws -> T {
    if let address = PostgresURI(database) {
        return try readingPostgresOutput(address, schema: schema, body)
    }
    return try readingSQLiteOutput(database, body)
}
