public import WXMergeCore
public import WXMergeStore
#if canImport(Glibc)
import Glibc
#endif

/// The output as tables in a PostgreSQL database and reports in files (docs/reference.md,
/// "PostgreSQL"), one run at a time per schema.
///
/// - `begin` takes a session advisory lock named after the output schema
///   (`pg_try_advisory_lock`; the server gives it up when the connection ends, so a
///   killed run's lock never lingers), checks that the schema is a wxmerge output (or
///   absent, or empty), drops what killed runs left (run schemas the live output does not
///   name) and creates this run's schema and its empty tables.
/// - The tables are loaded with binary COPY, each table's keys and indexes built after its
///   load; `user_rows` on a second connection, on the thread that writes the users.
/// - `publish` is one transaction that repoints the output schema's views at this run's
///   tables and drops the earlier run's schema: a reader sees the old output or the new.
///   The reports are put in place after it commits, as one set (`OutputPublisher`).
/// - `abandon` drops this run's schema; the live output is as it was.
public final class PostgresStore: OutputStore, @unchecked Sendable {
    // @unchecked: one thread calls every step but `writeUsers`, which opens a connection
    // of its own and touches only `runSchema` and `address`, fixed by `begin`.
    public typealias PreparedDecisions = (decisions: Decisions, linkTexts: LinkTexts)

    let job: Job
    let address: PostgresURI
    /// The output schema (`output.schema`), a valid identifier (`Job.isSchemaName`).
    let schema: String
    private let reports: OutputPublisher
    private var connection: PostgresConnection?
    /// This run's schema, named by `begin`: `<schema>_run<N>`.
    private var runSchema = ""
    /// Whether the publishing transaction committed: the run's schema is then the live one.
    private var tablesPublished = false
    /// The two schemas as SQL identifiers.
    private var run: String { PostgresConnection.identifier(runSchema) }
    private var output: String { PostgresConnection.identifier(schema) }

    public init(job: Job, address: PostgresURI, reportPrefix: String) {
        self.job = job
        self.address = address
        schema = job.schema
        reports = OutputPublisher(databasePath: nil, reportPrefix: reportPrefix)
    }

    public var name: String { address.displayName + " (schema \(schema))" }
    public var outputNames: [String] { [name] + reports.reportPaths }
    public var workFolder: String { reports.databaseFolder }
    public var hasUnfinishedPublishing: Bool { reports.hasUnfinishedPublishing }

    public func begin(wait: Double) throws {
        let connection = try PostgresConnection(address)
        try lock(connection, wait: wait)
        let live = try liveRunSchema(connection)
        // The reports' folder: its lock, and what a killed run left there: reports whose
        // tables were published are put in place, others discarded.
        try reports.begin(wait: wait) { tables in tables == live }
        do {
            try dropLeftovers(connection, keeping: live)
            let number = live.flatMap { Int($0.dropFirst(schema.count + "_run".count)) } ?? 0
            runSchema = "\(schema)_run\(number + 1)"
            try connection.execute("""
                BEGIN;
                CREATE SCHEMA \(run);
                COMMENT ON SCHEMA \(run) IS \(PostgresConnection.literal(PostgresSchema.runMarker(of: schema)));
                \(PostgresSchema.create(in: run, survivorship: job.survivorship))
                COMMIT;
                """)
        } catch {
            reports.discard()
            throw error
        }
        self.connection = connection
    }

    /// Takes the output's advisory lock, waiting up to `wait` seconds.
    private func lock(_ connection: PostgresConnection, wait: Double) throws {
        let key = "hashtextextended(\(PostgresConnection.literal("wxmerge output " + schema)), 0)"
        let busy = StoreError(.busy, [.error(at: nil, PostgresMessage.busy(name))])
        if wait <= 0 {
            guard try connection.execute("SELECT pg_try_advisory_lock(\(key))").rows.first?.first == "t" else { throw busy }
            return
        }
        do {
            try connection.execute("SET lock_timeout = \(Int(wait * 1000)); SELECT pg_advisory_lock(\(key)); RESET lock_timeout")
        } catch let error as StoreError where error.kind == .busy {
            throw busy
        }
    }

    private func liveRunSchema(_ connection: PostgresConnection) throws -> String? {
        try PostgresEarlier.liveRunSchema(connection, schema: schema, name: name)
    }

    /// Drops the run schemas of this output that the live one is not: killed runs' (the
    /// lock is ours, so their runs are over).
    private func dropLeftovers(_ connection: PostgresConnection, keeping live: String?) throws {
        let leftovers = try connection.execute("""
            SELECT nspname FROM pg_namespace
            WHERE obj_description(oid, 'pg_namespace') = $1 AND nspname IS DISTINCT FROM $2
            """, [PostgresSchema.runMarker(of: schema), live]).rows.compactMap { $0[0] }
        for leftover in leftovers {
            try connection.execute("DROP SCHEMA \(PostgresConnection.identifier(leftover)) CASCADE")
        }
    }

    public func readEarlier() throws -> EarlierOutput? {
        try PostgresEarlier.read(address, schema: schema, name: name)
    }

    public func writeRecords(_ ordered: OrderedRecords, spools: [PayloadSpool]) throws {
        let connection = try open()
        let job = self.job
        let texts = RecordTexts(job: job, ordered: ordered)
        let payloads = PayloadQueue(records: ordered.records, spools: spools)
        defer { payloads.stop() }
        try connection.copy("COPY \(run).record_rows FROM STDIN (FORMAT binary)") { rows in
            try ordered.arena.withUnsafeBufferPointer { arena in
                for (index, record) in ordered.records.enumerated() {
                    let payload = try payloads.payload(index)
                    rows.row(21)
                    rows.bigint(Int64(index) + 1)
                    rows.text(texts.appids[Int(record.app)])
                    rows.text(texts.types[Int(record.app)])
                    rows.text(record.platform >= 0 ? texts.platforms[Int(record.platform)] : nil)
                    rows.text(arena, record.openid)
                    rows.text(arena, record.unionid)
                    rows.text(texts.sources[Int(record.source)])
                    rows.text(arena, record.legacyID)
                    rows.text(payload[.nickname])
                    rows.text(payload[.avatarURL])
                    rows.text(payload[.phone])
                    rows.boolean(record.fields.contains(.phoneVerified))
                    rows.text(payload[.email])
                    rows.time(record.createdAt)
                    rows.time(record.updatedAt)
                    rows.json(payload[.attributes])
                    rows.text(texts.files[Int(record.file)])
                    rows.bigint(Int64(record.line))
                    rows.text(record.originalApp >= 0 ? texts.appids[Int(record.originalApp)] : nil)
                    rows.text(arena, record.originalOpenID)
                    rows.bigint(Int64(record.ordinal))
                }
            }
        }
    }

    public func writeRecordUsers(_ userOf: [Int32]) throws {
        let connection = try open()
        try connection.copy("COPY \(run).record_users FROM STDIN (FORMAT binary)") { rows in
            for (index, user) in userOf.enumerated() {
                rows.row(2)
                rows.bigint(Int64(index) + 1)
                rows.bigint(Int64(user))
            }
        }
        try connection.execute(PostgresSchema.recordIndexes(in: run))
    }

    public func prepare(_ decisions: Decisions) -> PreparedDecisions {
        (decisions, LinkTexts(decisions.result, job: job))
    }

    public func writeDecisions(_ prepared: PreparedDecisions) throws {
        let connection = try open()
        let (decisions, texts) = prepared
        let (result, job, run) = (decisions.result, self.job, self.run)
        let rules = Rule.allCases.map(\.rawValue)
        try connection.copy("COPY \(run).links FROM STDIN (FORMAT binary)") { rows in
            texts.bytes.withUnsafeBufferPointer { bytes in
                var start = 0
                for (index, link) in result.links.enumerated() {
                    let (idEnd, end) = (start + UserID.textLength, texts.ends[index])
                    rows.row(5)
                    rows.text(UnsafeBufferPointer(rebasing: bytes[start..<idEnd]))
                    rows.text(rules[Rule.allCases.firstIndex(of: link.rule)!])
                    rows.text(UnsafeBufferPointer(rebasing: bytes[idEnd..<end]))
                    rows.bigint(Int64(link.a) + 1)
                    rows.bigint(Int64(link.b) + 1)
                    start = end
                }
            }
        }
        try connection.copy("COPY \(run).conflicts FROM STDIN (FORMAT binary)") { rows in
            for conflict in result.conflicts {
                rows.row(6)
                rows.text(conflict.rule.rawValue)
                rows.text(result.key(of: conflict.rule, record: conflict.a, in: job))
                rows.bigint(Int64(conflict.a) + 1)
                rows.bigint(Int64(conflict.b) + 1)
                rows.text(conflict.constraint.rawValue)
                rows.text(conflict.resolution.rawValue)
            }
        }
        try connection.copy("COPY \(run).rejected FROM STDIN (FORMAT binary)") { rows in
            for rejection in decisions.rejections {
                rows.row(5)
                rows.text(rejection.location.file)
                rows.bigint(Int64(rejection.location.line))
                rows.bigint(Int64(rejection.location.column))
                rows.text(rejection.reason)
                rows.text(rejection.raw)
            }
        }
        try connection.copy("COPY \(run).user_aliases FROM STDIN (FORMAT binary)") { rows in
            for alias in result.aliases {
                rows.row(3)
                rows.text(alias.old)
                rows.text(alias.user)
                rows.bigint(Int64(alias.runID))
            }
        }
        try connection.copy("COPY \(run).suggestions FROM STDIN (FORMAT binary)") { rows in
            for suggestion in result.suggestions {
                rows.row(4)
                rows.text(suggestion.rule.rawValue)
                rows.text(result.key(of: suggestion.rule, record: suggestion.a, in: job))
                rows.text(result.users[Int(result.userOf[Int(suggestion.a)])].id)
                rows.text(result.users[Int(result.userOf[Int(suggestion.b)])].id)
            }
        }
        try copyRuns(connection, decisions.earlierRuns.map {
            ($0.runID, $0.startedAt, $0.finishedAt, $0.version, $0.configSHA256, $0.inputs, $0.counts)
        })
        try connection.execute(PostgresSchema.otherIndexes(in: run))
    }

    public func writeUsers(_ result: Reconciliation) throws {
        let connection = try PostgresConnection(address)
        try connection.copy("COPY \(run).user_rows FROM STDIN (FORMAT binary)") { rows in
            for (index, facts) in result.users.enumerated() {
                rows.row(10)
                rows.text(facts.id)
                rows.bigint(Int64(index))
                rows.time(facts.createdAt)
                rows.time(facts.updatedAt)
                rows.bigint(Int64(facts.recordCount))
                rows.bigint(Int64(facts.appCount))
                for slot in 0..<4 {
                    let survivor = facts.survivors[slot]
                    rows.bigint(survivor < 0 ? nil : Int64(survivor) + 1)
                }
            }
        }
        try connection.execute(PostgresSchema.userIndexes(in: run))
    }

    public func addUsers() throws {}

    public func writeRun(_ row: RunRow, id: Int) throws {
        try copyRuns(try open(), [(id, row.startedAt, row.finishedAt, row.version, row.configSHA256,
                                   RunRow.json(row.inputs, value: JSONText.quoted), RunRow.json(row.counts) { String($0) })])
    }

    /// Rows of `runs`; times as wxmerge writes them.
    private func copyRuns(_ connection: PostgresConnection,
                          _ runs: [(Int, String, String, String, String, String, String)]) throws {
        try connection.copy("COPY \(run).runs FROM STDIN (FORMAT binary)") { rows in
            for run in runs {
                rows.row(7)
                rows.bigint(Int64(run.0))
                var (started, finished) = (run.1, run.2)
                started.withUTF8 { rows.time($0) }
                finished.withUTF8 { rows.time($0) }
                rows.text(run.3)
                rows.text(run.4)
                rows.json(run.5)
                rows.json(run.6)
            }
        }
    }

    public func writeReport(_ text: String, format: String) throws {
        guard let path = reports.reportPaths.first(where: { $0.hasSuffix("." + format) }) else {
            preconditionFailure("no report of format \(format)")
        }
        try reports.writeTemporary(text, for: path)
    }

    /// Repoints the views and drops the earlier run's tables in one transaction, and puts
    /// the reports in place as one set with them: the reports' journal names this run's
    /// schema and is written before the transaction commits, the reports are renamed
    /// after it (`OutputPublisher.publish(pausingAt:tables:)`).
    public func publish(checkpoint: (String) throws -> Void) throws {
        let connection = try open()
        let live = try liveRunSchema(connection)
        try connection.execute("""
            BEGIN;
            CREATE SCHEMA IF NOT EXISTS \(output);
            \(PostgresSchema.publish(run, in: output, marker: PostgresSchema.marker(runSchema: runSchema)))
            \(live.map { "DROP SCHEMA \(PostgresConnection.identifier($0)) CASCADE;" } ?? "")
            """)
        do {
            try reports.publish(pausingAt: checkpoint, tables: (runSchema, {
                try connection.execute("COMMIT")
                self.tablesPublished = true
            }))
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
        self.connection = nil
    }

    public func abandon() {
        // Once committed, the run's schema is the live output, whatever failed after.
        if let connection, !runSchema.isEmpty, !tablesPublished {
            _ = try? connection.execute("ROLLBACK; DROP SCHEMA IF EXISTS \(run) CASCADE")
        }
        connection = nil
        reports.discard()
    }

    private func open() throws -> PostgresConnection {
        guard let connection else { throw StoreMessage.failure(PostgresMessage.notBegun(name)) }
        return connection
    }
}

/// The store's messages about PostgreSQL.
enum PostgresMessage {
    static func cannotConnect(_ name: String, _ reason: String) -> String {
        "cannot connect to \(name): \(reason)"
    }
    static func serverError(_ name: String, _ reason: String) -> String { "\(name): \(reason)" }
    static func busy(_ name: String) -> String {
        "another run is writing \(name); try again later, or give --wait SECONDS"
    }
    static func foreignSchema(_ name: String) -> String {
        "\(name) holds tables that are not a wxmerge output; it was left as it is (choose another output.schema)"
    }
    static func unsupportedVersion(_ name: String, _ version: Int) -> String {
        "\(name) holds a wxmerge output of layout \(version), which this wxmerge does not read (it reads \(PostgresSchema.version)); it was left as it is"
    }
    static func notBegun(_ name: String) -> String { "\(name): the output was not taken for this run" }
}
