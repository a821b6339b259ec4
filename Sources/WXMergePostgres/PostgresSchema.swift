import WXMergeCore
import WXMergeStore

/// The tables of a PostgreSQL output (docs/reference.md, "PostgreSQL").
///
/// A run loads its tables into a schema of its own (`<schema>_run<N>`), laid out as the
/// SQLite file is (`user_rows`, `record_rows`, `record_users` and the other tables, with
/// `users`, `records` and `survivors` as views over them). The output's schema
/// (`output.schema`) holds one view per table of docs/reference.md, each
/// `SELECT *` of the live run's; publishing repoints them. The output schema's comment
/// marks it as a wxmerge output and names the live run's schema (`marker`).
///
/// Identifiers (appids, openids, unionids, user ids) are `text COLLATE "C"`: compared and
/// sorted by their bytes, as in SQLite, so an index serves both `=` and the earlier
/// accounts' byte order.
enum PostgresSchema {
    /// The version of the tables' layout, as in the marker (SQLite's is `Schema.version`).
    static let version = 3

    /// The views of the output schema, as docs/reference.md lists the tables.
    static let views = ["users", "records", "links", "conflicts", "suggestions", "rejected", "survivors",
                        "user_aliases", "runs"]

    /// The output schema's comment: `wxmerge output <version> <run schema>`.
    static func marker(runSchema: String) -> String { "wxmerge output \(version) \(runSchema)" }

    /// The run schema named by a marker, and its version; nil when `comment` is no marker.
    static func parseMarker(_ comment: String?) -> (version: Int, runSchema: String)? {
        guard let parts = comment?.split(separator: " "), parts.count == 4, parts[0] == "wxmerge",
              parts[1] == "output", let version = Int(parts[2]) else { return nil }
        return (version, String(parts[3]))
    }

    /// A run schema's comment, by which leftovers are known.
    static func runMarker(of schema: String) -> String { "wxmerge run of \(schema)" }

    /// The tables (empty) and the inner views, in `run` (an SQL identifier, as every `run`
    /// and `schema` below).
    static func create(in run: String, survivorship: Survivorship) -> String {
        let id = "text COLLATE \"C\""
        let survivors = SurvivingField.allCases.map { field in
            """
            SELECT user_id, '\(field.rawValue)'::text AS field, \(field.rawValue)_record AS record_id, \
            '\(survivorship.policy(for: field).rawValue)'::text AS policy \
            FROM \(run).user_rows WHERE \(field.rawValue)_record IS NOT NULL
            """
        }
        return """
            CREATE TABLE \(run).user_rows (
                user_id \(id) NOT NULL, user_number bigint NOT NULL, created_at timestamptz, updated_at timestamptz,
                record_count bigint NOT NULL, app_count bigint NOT NULL, nickname_record bigint,
                avatar_url_record bigint, phone_record bigint, email_record bigint);
            CREATE TABLE \(run).links (
                user_id \(id) NOT NULL, rule text NOT NULL, key text NOT NULL,
                record_a bigint NOT NULL, record_b bigint NOT NULL);
            CREATE TABLE \(run).record_rows (
                record_id bigint NOT NULL, appid \(id) NOT NULL, app_type text NOT NULL, platform text,
                openid \(id) NOT NULL, unionid \(id), source text NOT NULL, legacy_id text, nickname text,
                avatar_url text, phone text, phone_verified boolean NOT NULL, email text,
                created_at timestamptz, updated_at timestamptz, attributes jsonb, file text NOT NULL,
                line bigint NOT NULL, original_appid \(id), original_openid \(id), position bigint NOT NULL);
            CREATE TABLE \(run).record_users (record_id bigint NOT NULL, user_number bigint NOT NULL);
            CREATE TABLE \(run).conflicts (
                rule text NOT NULL, key text NOT NULL, record_a bigint NOT NULL, record_b bigint NOT NULL,
                "constraint" text NOT NULL, resolution text NOT NULL);
            CREATE TABLE \(run).suggestions (
                rule text NOT NULL, key text NOT NULL, user_a \(id) NOT NULL, user_b \(id) NOT NULL);
            CREATE TABLE \(run).rejected (
                file text NOT NULL, line bigint NOT NULL, "column" bigint NOT NULL, reason text NOT NULL,
                raw text NOT NULL);
            CREATE TABLE \(run).user_aliases (old_user_id \(id) NOT NULL, user_id \(id) NOT NULL, run_id bigint NOT NULL);
            CREATE TABLE \(run).runs (
                run_id bigint NOT NULL, started_at timestamptz NOT NULL, finished_at timestamptz NOT NULL,
                version text NOT NULL, config_sha256 text NOT NULL, inputs jsonb NOT NULL, counts jsonb NOT NULL);
            CREATE VIEW \(run).users AS
                SELECT u.user_id, n.nickname, a.avatar_url, p.phone, e.email,
                       u.created_at, u.updated_at, u.record_count, u.app_count
                FROM \(run).user_rows u
                LEFT JOIN \(run).record_rows n ON n.record_id = u.nickname_record
                LEFT JOIN \(run).record_rows a ON a.record_id = u.avatar_url_record
                LEFT JOIN \(run).record_rows p ON p.record_id = u.phone_record
                LEFT JOIN \(run).record_rows e ON e.record_id = u.email_record;
            CREATE VIEW \(run).survivors AS \(survivors.joined(separator: " UNION ALL "));
            CREATE VIEW \(run).records AS
                SELECT r.record_id, u.user_id, \(Schema.recordColumns.map { "r." + $0 }.joined(separator: ", "))
                FROM \(run).record_rows r
                JOIN \(run).record_users n ON n.record_id = r.record_id
                JOIN \(run).user_rows u ON u.user_number = n.user_number;
            """
    }

    /// The records' keys and lookups, built once they are loaded.
    static func recordIndexes(in run: String) -> String {
        """
        ALTER TABLE \(run).record_rows ADD PRIMARY KEY (record_id);
        CREATE INDEX records_appid_openid ON \(run).record_rows (appid, openid);
        CREATE INDEX records_unionid ON \(run).record_rows (unionid) WHERE unionid IS NOT NULL;
        ALTER TABLE \(run).record_users ADD PRIMARY KEY (record_id);
        CREATE INDEX records_user_number ON \(run).record_users (user_number);
        """
    }

    /// The users' keys, built once they are loaded.
    static func userIndexes(in run: String) -> String {
        """
        ALTER TABLE \(run).user_rows ADD PRIMARY KEY (user_number);
        CREATE UNIQUE INDEX user_rows_user_id ON \(run).user_rows (user_id);
        """
    }

    /// The other tables' lookups.
    static func otherIndexes(in run: String) -> String {
        """
        CREATE INDEX links_user_id ON \(run).links (user_id);
        ALTER TABLE \(run).user_aliases ADD PRIMARY KEY (old_user_id);
        CREATE INDEX user_aliases_user_id ON \(run).user_aliases (user_id);
        """
    }

    /// Points the output schema's views at `run`'s tables and marks it (inside the
    /// publishing transaction). `CREATE OR REPLACE VIEW` keeps the views' identity, so
    /// readers' own views over them keep working.
    static func publish(_ run: String, in schema: String, marker: String) -> String {
        views.map { "CREATE OR REPLACE VIEW \(schema).\($0) AS SELECT * FROM \(run).\($0);" }.joined(separator: "\n")
            + "\nCOMMENT ON SCHEMA \(schema) IS \(PostgresConnection.literal(marker));"
    }
}
