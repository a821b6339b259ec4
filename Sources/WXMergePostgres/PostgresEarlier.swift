import WXMergeCore
import WXMergeStore

/// The live output in a PostgreSQL schema, read back for a nightly run exactly as an
/// earlier SQLite file is (`EarlierOutput`): the live run's schema, named by the output
/// schema's marker, holds the same tables.
struct PostgresEarlier: EarlierUsers {
    let address: PostgresURI
    /// The live run's schema, as an SQL identifier.
    let run: String

    /// The live output's aliases and runs; nil when the schema holds no output yet.
    /// - Throws: `StoreError`: unavailable when the server cannot be reached, cannot write
    ///   when the schema holds something else. Nothing is changed.
    static func read(_ address: PostgresURI, schema: String, name: String) throws -> EarlierOutput? {
        let connection = try PostgresConnection(address)
        guard let live = try liveRunSchema(connection, schema: schema, name: name) else { return nil }
        let run = PostgresConnection.identifier(live)
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        let aliases = try connection.execute("SELECT old_user_id, user_id, run_id FROM \(run).user_aliases ORDER BY old_user_id")
            .rows.compactMap { row -> Alias? in
                guard let old = row[0].flatMap(UserID.init(text:)), let user = row[1].flatMap(UserID.init(text:)),
                      let runID = row[2].flatMap({ Int($0) }) else { return nil }
                return Alias(old: old, user: user, runID: runID)
            }
        let runs = try connection.execute("""
            SELECT run_id, \(isoTime("started_at")), \(isoTime("finished_at")), version, config_sha256,
                   inputs::text, counts::text
            FROM \(run).runs ORDER BY run_id
            """).rows.map { row in
                EarlierOutput.StoredRun(runID: Int(row[0] ?? "") ?? 0, startedAt: row[1] ?? "", finishedAt: row[2] ?? "",
                                        version: row[3] ?? "", configSHA256: row[4] ?? "", inputs: row[5] ?? "{}",
                                        counts: row[6] ?? "{}")
            }
        try connection.execute("COMMIT")
        return EarlierOutput(name: name, aliases: aliases, runs: runs, users: PostgresEarlier(address: address, run: run))
    }

    /// A `timestamptz` column as wxmerge writes times: `YYYY-MM-DDTHH:MM:SSZ`.
    static func isoTime(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    }

    /// The live run's schema named by the output schema's marker; nil when there is no
    /// output yet (no schema, or an empty one).
    /// - Throws: `StoreError` (cannot write) when the schema holds something else.
    static func liveRunSchema(_ connection: PostgresConnection, schema: String, name: String) throws -> String? {
        let rows = try connection.execute("""
            SELECT obj_description(n.oid, 'pg_namespace'),
                   (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid)
            FROM pg_namespace n WHERE n.nspname = $1
            """, [schema]).rows
        guard let row = rows.first else { return nil }
        if let marker = PostgresSchema.parseMarker(row[0]) {
            guard marker.version == PostgresSchema.version else {
                throw StoreMessage.failure(PostgresMessage.unsupportedVersion(name, marker.version))
            }
            return marker.runSchema
        }
        guard row[1] == "0" else { throw StoreMessage.failure(PostgresMessage.foreignSchema(name)) }
        return nil
    }

    func read(users: (UnsafeBufferPointer<UInt8>, Int64, Int64) throws -> Void, usersRead: () throws -> Void,
              accounts: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>, Int64, UnsafeBufferPointer<UInt8>?) throws -> Void) throws {
        let connection = try PostgresConnection(address)
        // One snapshot for both reads; a publishing run commits after them or before.
        try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try connection.copyOut("COPY (SELECT user_id, created_at, user_number FROM \(run).user_rows) TO STDOUT (FORMAT binary)") { row in
            guard let id = row.bytes(0) else { return }
            try users(id, row.time(1) ?? Record.noTime, row.bigint(2) ?? -1)
        }
        try usersRead()
        // appid and openid are COLLATE "C": ordered by their bytes.
        try connection.copyOut("""
            COPY (SELECT r.appid, r.openid, n.user_number FROM \(run).record_rows r
                  JOIN \(run).record_users n ON n.record_id = r.record_id ORDER BY r.appid, r.openid)
            TO STDOUT (FORMAT binary)
            """) { row in
            guard let appid = row.bytes(0), let openid = row.bytes(1) else { return }
            try accounts(appid, openid, row.bigint(2) ?? -1, nil)
        }
        try connection.execute("COMMIT")
    }
}
