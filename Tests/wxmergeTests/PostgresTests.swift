import Foundation
import GRDB
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The output in PostgreSQL (docs/reference.md, "PostgreSQL"), against a real server
/// (`PostgresServer`).
@Suite struct PostgresTests {
    let server: PostgresServer

    init() throws {
        server = try PostgresServer.shared.get()
    }

    /// A generated job in a temporary folder.
    private func generated(users: Int = 2000, seed: Int = 5) throws -> ExampleCopy {
        let example = try ExampleCopy()
        try FileManager.default.removeItem(atPath: example.folder)
        #expect(try Executable.run(["generate", "--users", "\(users)", "--seed", "\(seed)", "--out", example.folder], in: "/").status == 0)
        return example
    }

    private func run(_ arguments: [String], in folder: String) throws -> Executable.Output {
        try Executable.start(arguments, in: folder, environment: server.environment).wait()
    }

    /// Each table's rows as text, in a form both stores give alike (times as wxmerge
    /// writes them, booleans as 0 and 1, JSON with sorted keys), sorted.
    private static let tables: [(name: String, columns: [String])] = [
        ("users", ["user_id", "nickname", "avatar_url", "phone", "email", "T:created_at", "T:updated_at", "record_count", "app_count"]),
        ("records", ["record_id", "user_id", "appid", "app_type", "platform", "openid", "unionid", "source", "legacy_id",
                     "nickname", "avatar_url", "phone", "B:phone_verified", "email", "T:created_at", "T:updated_at",
                     "J:attributes", "file", "line", "original_appid", "original_openid", "position"]),
        ("links", ["user_id", "rule", "key", "record_a", "record_b"]),
        ("conflicts", ["rule", "key", "record_a", "record_b", "\"constraint\"", "resolution"]),
        ("suggestions", ["rule", "key", "user_a", "user_b"]),
        ("rejected", ["file", "line", "\"column\"", "reason", "raw"]),
        ("survivors", ["user_id", "field", "record_id", "policy"]),
        ("user_aliases", ["old_user_id", "user_id", "run_id"]),
        ("runs", ["run_id", "version", "config_sha256", "J:inputs", "J:counts"]),
    ]

    private static func normalized(_ rows: [[String?]], _ columns: [String]) -> [[String?]] {
        rows.map { row in
            zip(row, columns).map { value, column in
                guard column.hasPrefix("J:"), let value,
                      let object = try? JSONSerialization.jsonObject(with: Data(value.utf8)),
                      let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return value }
                return String(decoding: data, as: UTF8.self)
            }
        }.sorted { $0.map { $0 ?? "\u{0}" }.lexicographicallyPrecedes($1.map { $0 ?? "\u{0}" }) }
    }

    private func postgresRows(_ uri: String, schema: String = "wxmerge") throws -> [String: [[String?]]] {
        var tables: [String: [[String?]]] = [:]
        for (name, columns) in Self.tables {
            let select = columns.map { column -> String in
                let name = String(column.split(separator: ":").last!)
                if column.hasPrefix("T:") { return "to_char(\(name) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')" }
                if column.hasPrefix("B:") { return "\(name)::int" }
                return "\(name)::text"
            }
            tables[name] = Self.normalized(try server.query(uri, "SELECT \(select.joined(separator: ", ")) FROM \(schema).\(name)"), columns)
        }
        return tables
    }

    private func sqliteRows(_ path: String) throws -> [String: [[String?]]] {
        let queue = try DatabaseQueue(path: path)
        var tables: [String: [[String?]]] = [:]
        try queue.read { db in
            for (name, columns) in Self.tables {
                let select = columns.map { String($0.split(separator: ":").last!) }.joined(separator: ", ")
                let rows = try Row.fetchAll(db, sql: "SELECT \(select) FROM \(name)").map { row in
                    Array(row.databaseValues).map { value -> String? in
                        switch value.storage {
                        case .null: nil
                        case .int64(let number): String(number)
                        case .string(let text): text
                        default: value.description
                        }
                    }
                }
                tables[name] = Self.normalized(rows, columns)
            }
        }
        return tables
    }

    /// Names the tables that differ, and the first row that does.
    private func expectSameRows(_ postgres: [String: [[String?]]], _ sqlite: [String: [[String?]]]) throws {
        for (name, _) in Self.tables {
            let (left, right) = (postgres[name] ?? [], sqlite[name] ?? [])
            let first = zip(left, right).first { $0 != $1 }
            #expect(left.count == right.count && first == nil,
                    "\(name): \(left.count) rows in PostgreSQL, \(right.count) in SQLite; first difference: \(String(describing: first))")
        }
    }

    @Test func aRunAndANightlyRunGiveTheSameRowsInPostgreSQLAsInSQLite() throws {
        let example = try generated()
        let uri = try server.database()
        #expect(try run(["run", "--quiet", "--output", uri], in: example.folder).status == 0)
        #expect(try run(["run", "--quiet"], in: example.folder).status == 0)
        try expectSameRows(postgresRows(uri), sqliteRows(example.folder + "/out/merged.db"))

        // The next night, one export is gone: users split, leave, keep their ids.
        let exports = try FileManager.default.contentsOfDirectory(atPath: example.folder + "/exports").sorted()
        try FileManager.default.removeItem(atPath: example.folder + "/exports/" + exports[0])
        #expect(try run(["run", "--quiet", "--output", uri], in: example.folder).status == 0)
        #expect(try run(["run", "--quiet"], in: example.folder).status == 0)
        let (postgres, sqlite) = (try postgresRows(uri), try sqliteRows(example.folder + "/out/merged.db"))
        try expectSameRows(postgres, sqlite)
        #expect(postgres["runs"]?.count == 2)
        // One schema of tables stays beside the views; the first run's is dropped.
        #expect(try server.query(uri, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'wxmerge%' ORDER BY 1")
                == [["wxmerge"], ["wxmerge_run2"]])
    }

    /// A reader's own view over the output keeps working across runs, and the lookups
    /// are indexed.
    @Test func readersViewsKeepWorkingAndLookupsAreIndexed() throws {
        let example = try ExampleCopy()
        let uri = try server.database()
        #expect(try run(["run", "--quiet", "--output", uri], in: example.folder).status == 0)
        try server.query(uri, "CREATE VIEW public.named AS SELECT user_id, nickname FROM wxmerge.users")
        #expect(try run(["run", "--quiet", "--output", uri], in: example.folder).status == 0)
        #expect(try server.query(uri, "SELECT count(*) FROM public.named") == [["2"]])
        let plan = try server.query(uri, """
            SET enable_seqscan = off;
            EXPLAIN SELECT * FROM wxmerge.records WHERE appid = 'wx5e900be284d15942' AND openid = 'x';
            """).map { $0[0] ?? "" }.joined(separator: "\n")
        #expect(plan.contains("records_appid_openid"))
        let types = try server.query(uri, """
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_schema = 'wxmerge' AND table_name = 'records'
              AND column_name IN ('phone_verified', 'attributes', 'created_at', 'line') ORDER BY 1
            """)
        #expect(types == [["attributes", "jsonb"], ["created_at", "timestamp with time zone"], ["line", "bigint"],
                          ["phone_verified", "boolean"]])
    }

    /// The runs' start times, and that of report.json: the tables and the reports are one set.
    private func starts(_ uri: String, _ example: ExampleCopy) throws -> (runs: [String], report: String?) {
        let runs = try server.query(uri, "SELECT \(Self.iso("started_at")) FROM wxmerge.runs ORDER BY run_id").compactMap { $0[0] }
        let json = try JSONSerialization.jsonObject(with: Data(example.read("out/report.json").utf8)) as? [String: Any]
        return (runs, json?["started_at"] as? String)
    }

    private static func iso(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    }

    /// A run killed at any point leaves the live output as it was, tables and reports; one
    /// killed after its tables were published leaves its reports for the next run to put
    /// in place. The next run drops what a killed one left.
    @Test(arguments: ["parsed", "users-written", "database-written", "reports-written", "journal-written", "publishing"])
    func aKilledRunLeavesTheLiveOutput(_ checkpoint: String) throws {
        let example = try ExampleCopy()
        let uri = try server.database()
        #expect(try run(["run", "--quiet", "--output", uri], in: example.folder).status == 0)
        let before = try postgresRows(uri)
        let first = try starts(uri, example)
        let killed = try SpawnedRun(["run", "--quiet", "--output", uri, example.folder + "/wxmerge.yaml"], stopAt: checkpoint,
                                    variables: ["PGPASSWORD": server.password])
        #expect(killed.waitUntilStopped())
        killed.kill()
        if checkpoint == "publishing" {
            #expect(try postgresRows(uri)["runs"]?.count == 2)  // the tables were published
        } else {
            #expect(try postgresRows(uri) == before)
            #expect(try starts(uri, example) == first)
        }
        // The killed run's session ends with it; waiting covers the moment the server
        // takes to see that.
        let next = try run(["run", "--quiet", "--wait", "60", "--output", uri], in: example.folder)
        #expect(next.status == 0, "\(next.stderr)")
        let after = try starts(uri, example)
        #expect(after.runs.count == (checkpoint == "publishing" ? 3 : 2))
        #expect(after.report == after.runs.last)
        #expect(try server.query(uri, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'wxmerge%'") == [["2"]])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: example.folder + "/out").filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)
    }

    /// A killed publishing whose tables were committed: the next run puts that run's
    /// reports in place before anything else (here, a run that then fails).
    @Test func theReportsOfAKilledRunWhoseTablesWerePublishedArePutInPlace() throws {
        let example = try ExampleCopy()
        let uri = try server.database()
        #expect(try run(["run", "--quiet", "--output", uri], in: example.folder).status == 0)
        let killed = try SpawnedRun(["run", "--quiet", "--output", uri, example.folder + "/wxmerge.yaml"], stopAt: "publishing",
                                    variables: ["PGPASSWORD": server.password])
        #expect(killed.waitUntilStopped())
        killed.kill()
        try example.write("exports/broken.yaml", "[")
        let next = try run(["run", "--quiet", "--wait", "60", "--output", uri], in: example.folder)
        #expect(next.status == 65, "\(next.stderr)")
        let now = try starts(uri, example)
        #expect(now.runs.count == 2)
        #expect(now.report == now.runs.last)
    }

    @Test func aSecondRunOnTheSameSchemaExits75OrWaitsItsTurn() throws {
        let example = try ExampleCopy()
        let uri = try server.database()
        let first = try SpawnedRun(["run", "--quiet", "--output", uri, example.folder + "/wxmerge.yaml"], stopAt: "parsed",
                                   variables: ["PGPASSWORD": server.password])
        #expect(first.waitUntilStopped())
        let other = try ExampleCopy()
        let refused = try run(["run", "--quiet", "--output", uri], in: other.folder)
        #expect(refused.status == 75)
        #expect(refused.stderr.contains("another run is writing \(uri) (schema wxmerge)"))
        let waiting = try Executable.start(["run", "--quiet", "--wait", "600", "--output", uri], in: other.folder,
                                           environment: server.environment)
        #expect(first.resume() == 0)
        #expect(try waiting.wait().status == 0)
        #expect(try server.query(uri, "SELECT count(*) FROM wxmerge.runs") == [["2"]])
    }

    @Test func aPasswordInTheJobFileIsRefusedAndNoneIsEverShown() throws {
        let example = try ExampleCopy()
        let uri = try server.database()
        let withPassword = uri.replacingOccurrences(of: "user=\(server.user)", with: "user=\(server.user)&password=\(server.password)")
        let job = try example.read("wxmerge.yaml")
        try example.write("wxmerge.yaml", job.replacingOccurrences(of: "database: out/merged.db", with: "database: \"\(withPassword)\""))
        let refused = try Executable.run(["run"], in: example.folder)
        #expect(refused.status == 78)
        #expect(refused.stderr.contains("wxmerge.yaml:"))
        #expect(refused.stderr.contains("a password in 'database' is refused"))
        #expect(!refused.stderr.contains(server.password))
        try example.write("wxmerge.yaml", job)

        // With --output, it is accepted; no message, report, row or process title shows it.
        let stopped = try SpawnedRun(["run", "--output", withPassword, example.folder + "/wxmerge.yaml"], stopAt: "parsed",
                                     variables: ["PGPASSWORD": nil])
        #expect(stopped.waitUntilStopped())
        let title = try String(decoding: Data(contentsOf: URL(fileURLWithPath: "/proc/\(stopped.pid)/cmdline")), as: UTF8.self)
        #expect(!title.contains(server.password))
        #expect(title.contains("user=\(server.user)"))
        #expect(stopped.resume() == 0)
        let shown = try Executable.run(["run", "--output", withPassword], in: example.folder)
        #expect(shown.status == 0)
        for text in [shown.stdout, shown.stderr, try example.read("out/report.md"), try example.read("out/report.json"),
                     try example.read("out/report.html")] {
            #expect(!text.contains(server.password))
        }
        #expect(shown.stdout.contains("wrote \(uri) (schema wxmerge)"))
        // A password file, as libpq reads it (PGPASSFILE, else ~/.pgpass), owner-only.
        let passwords = example.folder + "/pgpass"
        try "*:*:*:\(server.user):\(server.password)\n".write(toFile: passwords, atomically: true, encoding: .utf8)
        chmod(passwords, 0o600)
        let fromFile = try Executable.start(["run", "--quiet", "--output", uri], in: example.folder,
                                            environment: ["PGPASSFILE": passwords]).wait()
        #expect(fromFile.status == 0)
        let rows = try server.query(uri, "SELECT * FROM wxmerge.runs").flatMap { $0 }.compactMap { $0 }
        #expect(!rows.contains { $0.contains(server.password) })
    }

    @Test func aServerThatCannotBeReachedExits69AndChangesNothing() throws {
        let example = try ExampleCopy()
        let uri = try server.database()
        let wrongPassword = try Executable.start(["run", "--output", uri], in: example.folder,
                                                 environment: ["PGPASSWORD": "not-the-password"]).wait()
        #expect(wrongPassword.status == 69)
        #expect(wrongPassword.stderr.contains("password authentication failed"))
        #expect(!wrongPassword.stderr.contains("not-the-password"))
        let noServer = try run(["run", "--output", "postgresql:///db?host=\(example.folder)"], in: example.folder)
        #expect(noServer.status == 69)
        #expect(noServer.stderr.contains("cannot connect to postgresql:///db?host="))
        #expect(!FileManager.default.fileExists(atPath: example.folder + "/out"))
        #expect(try server.query(uri, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'wxmerge%'") == [["0"]])
    }

    @Test func aSchemaHoldingSomethingElseExits73AndIsLeftAsItIs() throws {
        let example = try ExampleCopy()
        let uri = try server.database()
        try server.query(uri, "CREATE SCHEMA wxmerge; CREATE TABLE wxmerge.users (id int); INSERT INTO wxmerge.users VALUES (7)")
        let refused = try run(["run", "--output", uri], in: example.folder)
        #expect(refused.status == 73)
        #expect(refused.stderr.contains("holds tables that are not a wxmerge output"))
        #expect(try server.query(uri, "SELECT id FROM wxmerge.users") == [["7"]])
        #expect(try server.query(uri, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'wxmerge_%'") == [["0"]])
        // Another schema, named in the job with the URI, takes the output beside it; explain
        // and export in the job's folder read it there.
        try example.write("wxmerge.yaml", try example.read("wxmerge.yaml")
            .replacingOccurrences(of: "database: out/merged.db", with: "database: \"\(uri)\"")
            .replacingOccurrences(of: "  report: out/report", with: "  report: out/report\n  schema: merged"))
        #expect(try run(["run", "--quiet"], in: example.folder).status == 0)
        #expect(try server.query(uri, "SELECT count(*) FROM merged.users") == [["2"]])
        #expect(try run(["explain", "oUnion2LiSiAbCdEfGhIjKlMnOp"], in: example.folder).stdout.contains("李四"))
        #expect(try run(["export", "--format", "jsonl", "--out", "-"], in: example.folder).stdout.split(separator: "\n").count == 2)
    }

    @Test func checkExplainAndScoreReadTheOutputThroughItsURI() throws {
        let example = try generated(users: 300, seed: 9)
        let uri = try server.database()
        #expect(try run(["run", "--quiet", "--output", uri], in: example.folder).status == 0)
        #expect(try run(["run", "--quiet"], in: example.folder).status == 0)
        let check = try run(["check", "--database", uri], in: example.folder)
        #expect(check.status == 0)
        #expect(check.stdout.contains("kept"))

        let user = try #require(try server.query(uri, "SELECT user_id FROM wxmerge.users ORDER BY record_count DESC, user_id LIMIT 1").first?.first ?? nil)
        let fromPostgres = try run(["explain", "--database", uri, user], in: example.folder)
        let fromSQLite = try run(["explain", "--database", "out/merged.db", user], in: example.folder)
        #expect(fromPostgres.status == 0)
        #expect(fromPostgres.stdout == fromSQLite.stdout)

        let scoredPostgres = try run(["score", "--truth", "truth.csv", "--database", uri], in: example.folder)
        let scoredSQLite = try run(["score", "--truth", "truth.csv", "--database", "out/merged.db"], in: example.folder)
        #expect(scoredPostgres.status == 0)
        #expect(scoredPostgres.stdout == scoredSQLite.stdout)
        #expect(try run(["explain", "--database", uri, "u_000000000000000000000000"], in: example.folder).status == 1)
    }
}
