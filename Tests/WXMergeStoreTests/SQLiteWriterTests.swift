import Foundation
import GRDB
import Testing
import WXMergeCore
@testable import WXMergeStore

/// A small reconciliation with real spooled payloads, written to a temporary folder.
private final class Written {
    let folder = NSTemporaryDirectory() + "wxmerge-store-" + UUID().uuidString
    let job: Job
    let result: Reconciliation
    let spool: PayloadSpool

    /// - Parameter extra: more records, each its own person: `oN` with nickname `nN`.
    init(extra: Int = 0) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        job = Job(path: "wxmerge.yaml", folder: ".", platforms: [Platform(id: "acme")],
                  apps: [App(appid: "wx0000000000000001", name: "Web", type: .website, platform: 0),
                         App(appid: "wx0000000000000002", name: "Mini", type: .miniProgram, platform: 0)],
                  inputs: [])
        spool = try PayloadSpool(index: 0, folder: folder)
        var set = RecordSet()
        set.sources = ["shop"]
        set.files = ["exports/a.yaml"]
        func text(_ value: String?) -> TextRef {
            guard let value else { return .missing }
            defer { set.arena.append(contentsOf: value.utf8) }
            return TextRef(offset: UInt32(set.arena.count), length: UInt32(value.utf8.count))
        }
        let rows: [(Int32, String, String?, String?, String?)] = [
            (0, "oWeb", "uZhang", "张三", "+8613800138000"),
            (1, "oMini", "uZhang", "", nil),
            (1, "oLi", nil, "李四", nil),
        ]
        let extraRows = (0..<extra).map { (Int32(1), "o\($0)", nil as String?, "n\($0)" as String?, nil as String?) }
        for (index, row) in (rows + extraRows).enumerated() {
            spool.beginPayload()
            spool.appendField(row.3.map { Array($0.utf8) })
            spool.appendField(nil as [UInt8]?)
            spool.appendField(row.4.map { Array($0.utf8) })
            spool.appendField(nil as [UInt8]?)
            spool.appendField(Array("{\"vip\":3}".utf8))
            let payload = try spool.endPayload()
            set.records.append(Record(
                app: row.0, platform: 0, source: 0, openid: text(row.1), unionid: text(row.2), legacyID: .missing,
                createdAt: 1_577_934_245, updatedAt: Record.noTime, file: 0, ordinal: Int32(index),
                line: Int32(index * 3 + 2), fields: FieldMask(row.3?.isEmpty == false ? [.nickname] : []).union(row.4 != nil ? [.phone] : []),
                payload: payload))
        }
        try spool.finishWriting()
        result = Reconciler(job: job).reconcile(&set)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    func write(to path: String) throws {
        let run = RunRow(startedAt: "2026-01-01T00:00:00Z", finishedAt: "2026-01-01T00:00:01Z", version: "test",
                         configSHA256: "00", inputs: ["exports/a.yaml": "ab"], counts: ["read": 4])
        let rejected = [Rejection(location: SourceLocation(file: "exports/a.yaml", line: 9, column: 5),
                                  end: SourceLocation(file: "exports/a.yaml", line: 10, column: 1),
                                  reason: "record has no 'openid'", raw: "nickname: x")]
        // The steps in the order `OutputStore` gives them.
        let writer = SQLiteWriter(job: job, path: path)
        try writer.writeRecords(result.linked.ordered, spools: [spool])
        try writer.writeRecordUsers(result.userOf)
        try writer.writeDecisions(Decisions(result: result, rejections: rejected, earlierRuns: []),
                                  linkTexts: LinkTexts(result, job: job))
        try SQLiteWriter.writeUsers(result, for: path)
        try writer.addUsers()
        try writer.writeRun(run, id: result.runID)
    }

    /// An earlier output of an older schema, made by `sql` in the folder: its path.
    /// Every version has `runs` (with the run of `runs` ids) and `user_aliases`.
    func olderOutput(_ name: String, runs: Int = 1, _ sql: String) throws -> String {
        let path = folder + "/" + name
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE runs (run_id INTEGER PRIMARY KEY, started_at TEXT, finished_at TEXT, version TEXT,
                                   config_sha256 TEXT, inputs TEXT, counts TEXT);
                CREATE TABLE user_aliases (old_user_id TEXT PRIMARY KEY, user_id TEXT, run_id INTEGER);
                """)
            for run in 1...runs {
                try db.execute(sql: "INSERT INTO runs VALUES (?, '', '', '', '', '{}', '{}')", arguments: [run])
            }
            try db.execute(sql: sql)
        }
        try queue.close()
        return path
    }

    /// Writes the database as `merged.db` in the folder and opens it.
    func database() throws -> DatabaseQueue {
        let path = folder + "/merged.db"
        try write(to: path)
        return try DatabaseQueue(path: path)
    }
}

@Suite struct SQLiteWriterTests {
    @Test func everyTableAndViewExistsWithTheSchemaVersion() throws {
        let written = try Written()
        let queue = try written.database()
        try queue.read { db in
            for table in ["users", "records", "links", "conflicts", "suggestions", "rejected", "survivors",
                          "user_aliases", "runs"] {
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") != nil, "\(table)")
            }
            #expect(try Int.fetchOne(db, sql: "PRAGMA user_version") == Schema.version)
            let indexes = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index'")
            #expect(Set(indexes).isSuperset(of: ["records_user_number", "records_appid_openid", "records_unionid"]))
        }
    }

    @Test func lookupsByUserIDAccountAndUnionidUseAnIndex() throws {
        let written = try Written()
        let queue = try written.database()
        try queue.read { db in
            for lookup in ["user_id = 'u_x'", "appid = 'wx0000000000000001' AND openid = 'oWeb'", "unionid = 'uZhang'"] {
                let plan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT * FROM records WHERE \(lookup)")
                    .map { $0["detail"] as String }.joined(separator: "; ")
                // `records` joins each record to its user: every step must be a search.
                #expect(plan.contains(" INDEX ") && !plan.contains("SCAN"), "\(lookup): \(plan)")
            }
        }
    }

    @Test func theDatabaseIsReadableByItsOwnerOnly() throws {
        let written = try Written()
        let path = written.folder + "/merged.db"
        try written.write(to: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func recordsUsersAndSurvivorsHoldTheMergedPerson() throws {
        let written = try Written()
        let queue = try written.database()
        try queue.read { db in
            let users = try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY record_count DESC")
            #expect(users.count == 2)
            #expect(users[0]["nickname"] as String? == "张三")
            #expect(users[0]["phone"] as String? == "+8613800138000")
            #expect(users[0]["record_count"] as Int? == 2)
            #expect(users[0]["created_at"] as String? == "2020-01-02T03:04:05Z")
            let survivors = try Row.fetchAll(db, sql: "SELECT field, policy FROM survivors WHERE user_id = ?",
                                             arguments: [users[0]["user_id"] as String?])
            #expect(Set(survivors.map { $0["field"] as String }) == ["nickname", "phone"])
            #expect(survivors.allSatisfy { $0["policy"] as String == "most_recent" })
            let record = try Row.fetchOne(db, sql: "SELECT * FROM records WHERE openid = 'oMini'")
            #expect(record?["nickname"] as String? == "")
            #expect(record?["attributes"] as String? == "{\"vip\":3}")
            #expect(record?["platform"] as String? == "acme")
            let link = try Row.fetchOne(db, sql: "SELECT rule, key FROM links")
            #expect(link?["rule"] as String? == "unionid")
            #expect(link?["key"] as String? == "acme:uZhang")
            #expect(try String.fetchOne(db, sql: "SELECT raw FROM rejected") == "nickname: x")
            #expect(try String.fetchOne(db, sql: "SELECT counts FROM runs") == "{\"read\":4}")
        }
    }

    /// Payloads are copied ahead of the writer a few thousand at a time, into buffers
    /// that are reused: every record must still get its own.
    @Test func everyRecordKeepsItsOwnPayloadInALargeWrite() throws {
        let written = try Written(extra: 20_000)
        let path = written.folder + "/merged.db"
        try written.write(to: path)
        let queue = try DatabaseQueue(path: path)
        try queue.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT openid, nickname, attributes FROM records WHERE openid GLOB 'o[0-9]*'")
            #expect(rows.count == 20_000)
            #expect(rows.allSatisfy { "n" + ($0["openid"] as String).dropFirst() == $0["nickname"] as String })
            #expect(rows.allSatisfy { $0["attributes"] as String == "{\"vip\":3}" })
        }
    }

    @Test func anExistingFileIsNeverOverwritten() throws {
        let written = try Written()
        let path = written.folder + "/merged.db"
        try "keep".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: StoreError.self) { try written.write(to: path) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep")
    }
}

@Suite struct OutputPublisherTests {
    private static func publisher(in folder: String) -> OutputPublisher {
        OutputPublisher(databasePath: folder + "/out/merged.db", reportPrefix: folder + "/out/report")
    }

    /// Writes a whole new set's temporary files: the database and reports saying `text`.
    private static func writeSet(_ publisher: OutputPublisher, _ text: String) throws {
        try publisher.writeTemporary(text, for: publisher.databasePath!)
        for report in publisher.reportPaths { try publisher.writeTemporary(text, for: report) }
    }

    private static func contents(_ publisher: OutputPublisher) -> [String?] {
        ([publisher.databasePath!] + publisher.reportPaths).map { try? String(contentsOfFile: $0, encoding: .utf8) }
    }

    private static func leftovers(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(".") }
    }

    @Test func targetsChangeOnlyWhenPublished() throws {
        let written = try Written()
        let publisher = Self.publisher(in: written.folder)
        try publisher.begin()
        try "old".write(toFile: publisher.databasePath!, atomically: true, encoding: .utf8)
        try written.write(to: publisher.temporaryDatabasePath)
        try publisher.writeTemporary("# report\n", for: publisher.reportPaths[0])
        try publisher.writeTemporary("{}\n", for: publisher.reportPaths[1])
        try publisher.writeTemporary("<html></html>\n", for: publisher.reportPaths[2])
        #expect(try String(contentsOfFile: publisher.databasePath!, encoding: .utf8) == "old")
        #expect(!FileManager.default.fileExists(atPath: publisher.reportPaths[0]))
        try publisher.publish()
        #expect(try String(contentsOfFile: publisher.reportPaths[0], encoding: .utf8) == "# report\n")
        let queue = try DatabaseQueue(path: publisher.databasePath!)
        #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM records") } == 3)
        #expect(try Self.leftovers(written.folder + "/out").isEmpty)
    }

    @Test func everyOutputIsReadableByItsOwnerOnly() throws {
        let written = try Written()
        let publisher = Self.publisher(in: written.folder)
        try publisher.begin()
        try Self.writeSet(publisher, "new")
        try publisher.publish()
        for path in [publisher.databasePath!] + publisher.reportPaths {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(path)")
        }
    }

    @Test func aDiscardedRunLeavesNoFileAndNoFolder() throws {
        let written = try Written()
        let publisher = Self.publisher(in: written.folder + "/new/deeper")
        try publisher.begin()
        try written.write(to: publisher.temporaryDatabasePath)
        try "part".write(toFile: publisher.temporaryDatabasePath + ".part", atomically: false, encoding: .utf8)
        try publisher.writeTemporary("# new\n", for: publisher.reportPaths[0])
        publisher.discard()
        #expect(!FileManager.default.fileExists(atPath: written.folder + "/new"))
    }

    @Test func aSecondRunOnTheSameOutputIsRefusedWhileTheFirstHoldsIt() throws {
        let written = try Written()
        let first = Self.publisher(in: written.folder)
        try first.begin()
        let second = Self.publisher(in: written.folder)
        let refused = try #require(failure { try second.begin() })
        #expect(refused.kind == .busy)
        #expect(refused.diagnostics.map(\.message) == [StoreMessage.busy(written.folder + "/out")])
        try Self.writeSet(first, "first")
        try first.publish()
        try second.begin()
        second.discard()
        #expect(Self.contents(first) == Array(repeating: "first", count: 4))
    }

    /// A target that cannot be replaced (here a folder stands where the file goes) fails
    /// the rename: every target already replaced gets its earlier file back.
    @Test(arguments: 0..<4)
    func aRenameThatFailsPutsTheEarlierSetBack(_ failing: Int) throws {
        let written = try Written()
        let publisher = Self.publisher(in: written.folder)
        try publisher.begin()
        try Self.writeSet(publisher, "earlier")
        try publisher.publish()
        let targets = publisher.reportPaths + [publisher.databasePath!]
        try FileManager.default.removeItem(atPath: targets[failing])
        try FileManager.default.createDirectory(atPath: targets[failing] + "/in-the-way", withIntermediateDirectories: true)
        let earlier = Self.contents(publisher)

        try publisher.begin()
        try Self.writeSet(publisher, "new")
        let stopped = try #require(failure { try publisher.publish() })
        publisher.discard()
        #expect(stopped.kind == .cannotWrite)
        #expect(Self.contents(publisher) == earlier)
        #expect(try Self.leftovers(written.folder + "/out").isEmpty)
    }

    /// Files an earlier run left are some other run's, as this one holds the lock: they
    /// go, whatever process id once wrote them.
    @Test(arguments: [".merged.db.tmp", ".merged.db.tmp.part", ".merged.db.prev", ".report.md.tmp", ".merged.db.publishing.part"])
    func leftoversOfAKilledRunAreRemoved(_ name: String) throws {
        let written = try Written()
        try FileManager.default.createDirectory(atPath: written.folder + "/out", withIntermediateDirectories: true)
        let leftover = written.folder + "/out/" + name
        try "half".write(toFile: leftover, atomically: true, encoding: .utf8)
        let publisher = Self.publisher(in: written.folder)
        try publisher.begin()
        #expect(!FileManager.default.fileExists(atPath: leftover))
        publisher.discard()
    }

    /// A run killed after its journal was in place: the next one finishes the renames.
    @Test(arguments: ["journal-written", "publishing"])
    func aJournalLeftByAKilledRunIsFinished(_ checkpoint: String) throws {
        let written = try Written()
        let earlier = Self.publisher(in: written.folder)
        try earlier.begin()
        try Self.writeSet(earlier, "earlier")
        try earlier.publish()
        // Stands for the kill: the run stops there, and its lock goes with it.
        var killed: OutputPublisher? = Self.publisher(in: written.folder)
        try killed!.begin()
        try Self.writeSet(killed!, "new")
        #expect(throws: Killed.self) { try killed!.publish(pausingAt: { if $0 == checkpoint { throw Killed() } }) }
        #expect(killed!.hasUnfinishedPublishing)
        killed = nil
        let next = Self.publisher(in: written.folder)
        try next.begin()
        #expect(!next.hasUnfinishedPublishing)
        #expect(Self.contents(next) == Array(repeating: "new", count: 4))
        next.discard()
        #expect(try Self.leftovers(written.folder + "/out").isEmpty)
    }

    /// Every new file and the journal are on disk before anything is renamed, and the
    /// folder's entries after the renames: a power loss leaves one whole set.
    @Test func filesAndTheFolderAreFlushedAroundTheRenames() throws {
        let written = try Written()
        final class Flushed: @unchecked Sendable { var paths: [String] = [] }
        let flushed = Flushed()
        let publisher = OutputPublisher(databasePath: written.folder + "/out/merged.db",
                                        reportPrefix: written.folder + "/out/report") { fd in
            flushed.paths.append((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")) ?? "?")
            return fsync(fd)
        }
        try publisher.begin()
        try Self.writeSet(publisher, "new")
        flushed.paths.removeAll()
        var flushedBeforeRenames: [String] = []
        try publisher.publish(pausingAt: { if $0 == "journal-written" { flushedBeforeRenames = flushed.paths } })
        let folder = URL(fileURLWithPath: written.folder + "/out").resolvingSymlinksInPath().path
        let temporaries = ([publisher.databasePath!] + publisher.reportPaths).map {
            folder + "/" + URL(fileURLWithPath: publisher.temporaryPath(for: $0)).lastPathComponent
        }
        for temporary in temporaries { #expect(flushedBeforeRenames.contains(temporary), "\(temporary)") }
        #expect(flushedBeforeRenames.contains(folder + "/.merged.db.publishing.part"))
        #expect(flushedBeforeRenames.last == folder)
        #expect(flushed.paths.dropFirst(flushedBeforeRenames.count).contains(folder))
    }

    /// A symlink put where a temporary file goes is never written through.
    @Test func aTemporaryFileIsNeverWrittenThroughASymlink() throws {
        let written = try Written()
        let publisher = Self.publisher(in: written.folder)
        try publisher.begin()
        let victim = written.folder + "/victim"
        try "precious".write(toFile: victim, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: publisher.temporaryPath(for: publisher.reportPaths[0]),
                                                   withDestinationPath: victim)
        let stopped = try #require(failure { try publisher.writeTemporary("stolen", for: publisher.reportPaths[0]) })
        #expect(stopped.kind == .cannotWrite)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious")
        publisher.discard()
    }

    /// A nightly job's output written before records held user numbers still keeps its
    /// users' ids: version 1 is read through `records.user_id`.
    @Test func anOutputOfSchemaVersion1IsReadByUserID() throws {
        let written = try Written()
        let path = try written.olderOutput("v1.db", """
            CREATE TABLE user_rows (user_id TEXT PRIMARY KEY, created_at TEXT) WITHOUT ROWID;
            CREATE TABLE records (record_id INTEGER PRIMARY KEY, user_id TEXT, appid TEXT, openid TEXT);
            INSERT INTO user_rows VALUES ('u_bbbbbbbbbbbbbbbbbbbbbbbb', NULL), ('u_aaaaaaaaaaaaaaaaaaaaaaaa', '2020-01-02T03:04:05Z');
            INSERT INTO records VALUES (1, 'u_bbbbbbbbbbbbbbbbbbbbbbbb', 'wx0000000000000001', 'oWeb'),
                                       (2, 'u_aaaaaaaaaaaaaaaaaaaaaaaa', 'wx0000000000000002', 'oLi');
            PRAGMA user_version = 1;
            """)
        let earlier = try #require(try EarlierDatabase.read(path: path))
        #expect(earlier.runID == 2)
        let state = try earlier.state(for: written.result.linked.ordered, job: written.job)
        #expect(state.users.map(\.text) == ["u_aaaaaaaaaaaaaaaaaaaaaaaa", "u_bbbbbbbbbbbbbbbbbbbbbbbb"])
        #expect(state.createdAt == [1_577_934_245, Record.noTime])
        // Records in canonical order: Web oWeb, Mini oLi, Mini oMini (not in the earlier output).
        #expect(state.holders == [1, 0, -1])
    }

    /// Version 2 held each record's user number in `record_rows` itself.
    @Test func anOutputOfSchemaVersion2IsReadByUserNumber() throws {
        let written = try Written()
        let path = try written.olderOutput("v2.db", runs: 2, """
            CREATE TABLE user_rows (user_id TEXT, user_number INTEGER PRIMARY KEY, created_at TEXT);
            CREATE TABLE record_rows (record_id INTEGER PRIMARY KEY, user_number INTEGER, appid TEXT, openid TEXT);
            INSERT INTO user_rows VALUES ('u_bbbbbbbbbbbbbbbbbbbbbbbb', 0, NULL), ('u_aaaaaaaaaaaaaaaaaaaaaaaa', 1, NULL);
            INSERT INTO record_rows VALUES (1, 1, 'wx0000000000000001', 'oWeb'), (2, 0, 'wx0000000000000002', 'oMini');
            INSERT INTO user_aliases VALUES ('u_cccccccccccccccccccccccc', 'u_aaaaaaaaaaaaaaaaaaaaaaaa', 2);
            PRAGMA user_version = 2;
            """)
        let earlier = try #require(try EarlierDatabase.read(path: path))
        #expect(earlier.runID == 3)
        #expect(earlier.aliases.map(\.old.text) == ["u_cccccccccccccccccccccccc"])
        let state = try earlier.state(for: written.result.linked.ordered, job: written.job)
        #expect(state.users.map(\.text) == ["u_aaaaaaaaaaaaaaaaaaaaaaaa", "u_bbbbbbbbbbbbbbbbbbbbbbbb"])
        // Records in canonical order: Web oWeb (user number 1: aaaa), Mini oLi, Mini oMini (number 0: bbbb).
        #expect(state.holders == [0, -1, 1])
    }

    /// Payloads come back as they were spooled, whatever their buckets, their sizes (one
    /// longer than a block) and the order they are asked for in, through a block cache
    /// that has to let blocks go (ten megabytes against its eight).
    @Test func payloadsComeBackThroughTheBlockCache() throws {
        let folder = NSTemporaryDirectory() + "wxmerge-spool-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let spool = try PayloadSpool(index: 0, folder: folder)
        var written: [(ref: PayloadRef, nickname: [UInt8], email: [UInt8]?)] = []
        for n in 0..<40_000 {
            let nickname = Array("n\(n)-".utf8) + Array(repeating: UInt8(ascii: "x"), count: n % 500)
            let email = n == 777 ? Array(repeating: UInt8(ascii: "y"), count: 3 * PayloadSpool.blockSize) : nil
            spool.beginPayload(bucket: n * 7)
            spool.appendField(nickname)
            spool.appendField(nil as [UInt8]?)
            spool.appendField(nil as [UInt8]?)
            spool.appendField(email)
            spool.appendField(nil as [UInt8]?)
            written.append((try spool.endPayload(), nickname, email))
        }
        try spool.finishWriting()
        let cache = BlockCache(spools: [spool])
        var mismatches = 0
        for step in 0..<written.count {
            let (ref, nickname, email) = written[step * 7_919 % written.count]
            let start = try cache.payload(ref)
            var fields: [[UInt8]?] = []
            _ = PayloadSpool.forEachField(at: start) { offset, count in
                fields.append(count.map { Array(UnsafeRawBufferPointer(start: start + offset, count: $0)) })
            }
            if fields != [nickname, nil, nil, email, nil] { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    /// Avatars are spooled with WeChat's common start abbreviated; every avatar, whatever
    /// it starts with (quoted YAML can start one with any control character), comes back
    /// as it was given.
    @Test func avatarsComeBackAsTheyWereGiven() throws {
        let folder = NSTemporaryDirectory() + "wxmerge-spool-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let spool = try PayloadSpool(index: 0, folder: folder)
        let prefix = PayloadSpool.avatarPrefix.description
        let avatars: [String?] = [
            prefix + "Q3auHgzwzM4/132", prefix, "\u{01}x", "\u{02}y", "\u{01}", "\u{02}", "",
            "https://example.com/a.png", nil, String(prefix.dropLast()), "\u{01}" + prefix,
        ]
        var records: [WXMergeCore.Record] = []
        for (index, avatar) in avatars.enumerated() {
            spool.beginPayload()
            spool.appendField(nil as [UInt8]?)
            if let avatar {
                Array(avatar.utf8).withUnsafeBufferPointer { spool.appendAvatar($0) }
            } else {
                spool.appendAvatar(nil)
            }
            spool.appendField(nil as [UInt8]?)
            spool.appendField(nil as [UInt8]?)
            spool.appendField(nil as [UInt8]?)
            records.append(WXMergeCore.Record(app: 0, platform: -1, source: 0, openid: .missing, unionid: .missing,
                                  legacyID: .missing, createdAt: Record.noTime, updatedAt: Record.noTime, file: 0,
                                  ordinal: Int32(index), line: 1, fields: [], payload: try spool.endPayload()))
        }
        try spool.finishWriting()
        let queue = PayloadQueue(records: records, spools: [spool])
        defer { queue.stop() }
        let read = try avatars.indices.map { index in
            try queue.payload(index)[PayloadField.avatarURL].map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(read == avatars)
    }

    @Test func aFileThatIsNotAWXMergeDatabaseIsRefused() throws {
        let written = try Written()
        let path = written.folder + "/merged.db"
        try "not a database".write(toFile: path, atomically: true, encoding: .utf8)
        var kind: StoreError.Kind?
        do { _ = try EarlierDatabase.read(path: path) } catch let failure as StoreError { kind = failure.kind }
        #expect(kind == .cannotWrite)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "not a database")
    }
}

private struct Killed: Error {}

private func failure(_ body: () throws -> Void) -> StoreError? {
    do {
        try body()
        return nil
    } catch let failure as StoreError {
        return failure
    } catch {
        return nil
    }
}
