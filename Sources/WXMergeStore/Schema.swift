internal import GRDB
import WXMergeCore

/// The output database's tables (docs/reference.md, "Tables and views") and its schema version.
///
/// `users` and `survivors` are views over `user_rows`, which holds each user's facts
/// and, per surviving field, the id of the record that gave it: the personal values are
/// stored once, in `record_rows`, and a user is written as a few numbers. `records` is a
/// view over `record_rows` and `record_users`, which gives each record its user as a
/// number (users numbered in the order of their first record); `user_rows` gives each
/// number its id. So the records can be written as soon as they are in canonical order,
/// while they are linked, and the users' ids decided, on the other core.
public enum Schema {
    /// `PRAGMA user_version` of the databases this build writes and reads.
    public static let version = 3

    /// The columns of `records`, in order, after record_id and user_id.
    package static let recordColumns = [
        "appid", "app_type", "platform", "openid", "unionid", "source", "legacy_id", "nickname", "avatar_url",
        "phone", "phone_verified", "email", "created_at", "updated_at", "attributes", "file", "line",
        "original_appid", "original_openid", "position",
    ]

    /// `user_rows` and its index are written into a part file on a thread of their own
    /// (the index after the load), then copied whole into an output that declares both
    /// the same way, empty: SQLite's transfer of a table into an empty one of the same
    /// shape moves rows and index entries without decoding them. Without a rowid, the
    /// transfer appends each row as it is; a rowid table's first looks each row's key up
    /// (1.33M users: 0.43 s instead of 0.55 s, and the part's index 0.25 s quicker to
    /// build). Readers see the same columns: the schema version stays.
    static let userRows = """
        CREATE TABLE user_rows (
            user_id TEXT NOT NULL,
            user_number INTEGER PRIMARY KEY,
            created_at TEXT,
            updated_at TEXT,
            record_count INTEGER NOT NULL,
            app_count INTEGER NOT NULL,
            nickname_record INTEGER,
            avatar_url_record INTEGER,
            phone_record INTEGER,
            email_record INTEGER
        ) WITHOUT ROWID;
        """
    static let userRowsIndex = "CREATE UNIQUE INDEX user_rows_user_id ON user_rows(user_id)"

    static func create(_ db: Database, survivorship: Survivorship) throws {
        try db.execute(sql: userRows)
        try db.execute(sql: userRowsIndex)
        try db.execute(sql: """
            CREATE TABLE links (
                user_id TEXT NOT NULL,
                rule TEXT NOT NULL,
                key TEXT NOT NULL,
                record_a INTEGER NOT NULL,
                record_b INTEGER NOT NULL
            );
            CREATE TABLE record_rows (
                record_id INTEGER PRIMARY KEY,
                appid TEXT NOT NULL,
                app_type TEXT NOT NULL,
                platform TEXT,
                openid TEXT NOT NULL,
                unionid TEXT,
                source TEXT NOT NULL,
                legacy_id TEXT,
                nickname TEXT,
                avatar_url TEXT,
                phone TEXT,
                phone_verified INTEGER NOT NULL,
                email TEXT,
                created_at TEXT,
                updated_at TEXT,
                attributes TEXT,
                file TEXT NOT NULL,
                line INTEGER NOT NULL,
                original_appid TEXT,
                original_openid TEXT,
                position INTEGER NOT NULL
            );
            CREATE TABLE record_users (
                record_id INTEGER PRIMARY KEY,
                user_number INTEGER NOT NULL
            );
            CREATE VIEW users AS
                SELECT u.user_id, n.nickname, a.avatar_url, p.phone, e.email,
                       u.created_at, u.updated_at, u.record_count, u.app_count
                FROM user_rows u
                LEFT JOIN record_rows n ON n.record_id = u.nickname_record
                LEFT JOIN record_rows a ON a.record_id = u.avatar_url_record
                LEFT JOIN record_rows p ON p.record_id = u.phone_record
                LEFT JOIN record_rows e ON e.record_id = u.email_record;
            CREATE TABLE conflicts (
                rule TEXT NOT NULL,
                key TEXT NOT NULL,
                record_a INTEGER NOT NULL,
                record_b INTEGER NOT NULL,
                "constraint" TEXT NOT NULL,
                resolution TEXT NOT NULL
            );
            CREATE TABLE suggestions (
                rule TEXT NOT NULL,
                key TEXT NOT NULL,
                user_a TEXT NOT NULL,
                user_b TEXT NOT NULL
            );
            CREATE TABLE rejected (
                file TEXT NOT NULL,
                line INTEGER NOT NULL,
                "column" INTEGER NOT NULL,
                reason TEXT NOT NULL,
                raw TEXT NOT NULL
            );
            CREATE TABLE user_aliases (
                old_user_id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL,
                run_id INTEGER NOT NULL
            );
            CREATE TABLE runs (
                run_id INTEGER PRIMARY KEY,
                started_at TEXT NOT NULL,
                finished_at TEXT NOT NULL,
                version TEXT NOT NULL,
                config_sha256 TEXT NOT NULL,
                inputs TEXT NOT NULL,
                counts TEXT NOT NULL
            );
            """)
        let survivors = SurvivingField.allCases.map { field in
            """
            SELECT user_id, '\(field.rawValue)' AS field, \(field.rawValue)_record AS record_id, \
            '\(survivorship.policy(for: field).rawValue)' AS policy \
            FROM user_rows WHERE \(field.rawValue)_record IS NOT NULL
            """
        }
        try db.execute(sql: "CREATE VIEW survivors AS " + survivors.joined(separator: " UNION ALL "))
        try db.execute(sql: """
            CREATE VIEW records AS
                SELECT r.record_id, u.user_id, \(recordColumns.map { "r." + $0 }.joined(separator: ", "))
                FROM record_rows r
                JOIN record_users n ON n.record_id = r.record_id
                JOIN user_rows u ON u.user_number = n.user_number
            """)
        // Records are written in canonical order, which starts with (appid, openid): this
        // index grows by appending as they go in, cheaper than sorting them afterwards.
        try db.execute(sql: "CREATE INDEX records_appid_openid ON record_rows(appid, openid)")
    }

    /// Built after the bulk load, which is faster than keeping them up to date row by row;
    /// those of the records as soon as the records and their users' numbers are in, while
    /// the users' fields and ids may still be being decided. The unionid index leaves out
    /// records without one (`unionid = ?` still uses it). A user's records are found
    /// through its number: `user_id = ?` on `records` looks the id up in `user_rows`, then
    /// the number in `records_user_number`.
    static func createRecordIndexes(_ db: Database) throws {
        try db.execute(sql: """
            CREATE INDEX records_user_number ON record_users(user_number);
            CREATE INDEX records_unionid ON record_rows(unionid) WHERE unionid IS NOT NULL;
            """)
    }

    /// The other tables' indexes, after their bulk load, and the schema version.
    static func createIndexes(_ db: Database) throws {
        try db.execute(sql: """
            CREATE INDEX links_user_id ON links(user_id);
            CREATE INDEX user_aliases_user_id ON user_aliases(user_id);
            """)
        try db.execute(sql: "PRAGMA user_version = \(version)")
    }
}
