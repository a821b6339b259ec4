import Foundation
import GRDB
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Nightly runs into the same output: ids kept, aliases and splits, `--fail-on
/// changes-over`, and an output that survives a kill.
@Suite struct NightlyTests {
    private static let mobileApp = """
          - appid: wx7a3b2c1d0e9f8a7b
            name: Acme App
            type: mobile
            platform: acme

        """

    /// The quickstart with a mobile app in the job and Li Si also on the website
    /// (exported before the website was bound to the platform, so without a unionid).
    private func nightOne() throws -> ExampleCopy {
        let example = try ExampleCopy()
        try example.write("wxmerge.yaml", try example.read("wxmerge.yaml")
            .replacingOccurrences(of: "inputs:", with: Self.mobileApp.trimmingCharacters(in: .newlines) + "\ninputs:"))
        try example.write("exports/website.yaml", try example.read("exports/website.yaml") + """
              - openid: oWebLiSiAbCdEfGhIjKlMnOpQr
                legacy_id: 20077
                nickname: Li Si
                created_at: 2019-01-01T00:00:00Z

            """)
        return example
    }

    private func mobileExport(legacyID: String?) -> String {
        """
        source: web-mysql
        appid: wx7a3b2c1d0e9f8a7b
        records:
          - openid: oAppLiSiAbCdEfGhIjKlMnOpQrS
            unionid: oUnion2LiSiAbCdEfGhIjKlMnOp
        \(legacyID.map { "    legacy_id: \($0)\n" } ?? "")
        """
    }

    private func userID(_ example: ExampleCopy, openid: String) throws -> String? {
        let queue = try DatabaseQueue(path: example.folder + "/out/merged.db")
        return try queue.read { try String.fetchOne($0, sql: "SELECT user_id FROM records WHERE openid = ?", arguments: [openid]) }
    }

    private func json(_ example: ExampleCopy) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(example.read("out/report.json").utf8)) as! [String: Any]
    }

    @Test func threeRunsOverUnchangedInputsGiveIdenticalTablesAndReports() throws {
        let example = try nightOne()
        var tables: [String] = []
        var reports: [String] = []
        for _ in 0..<3 {
            #expect(try example.run("run", "--quiet").status == 0)
            tables.append(try example.tables())
            reports.append(try example.markdownReport() + example.jsonReport())
        }
        #expect(tables[0] == tables[1] && tables[1] == tables[2])
        #expect(reports[1] == reports[2])
        let queue = try DatabaseQueue(path: example.folder + "/out/merged.db")
        #expect(try queue.read { try Int.fetchAll($0, sql: "SELECT run_id FROM runs ORDER BY run_id") } == [1, 2, 3])
        let changes = try #require(try json(example)["changes"] as? [String: Any])
        #expect(changes["kept"] as? Int == 3 && changes["new"] as? Int == 0 && changes["gone_count"] as? Int == 0)
    }

    @Test func aNewExportJoiningTwoUsersMakesAnAliasAndACorrectionSplitsThem() throws {
        let example = try nightOne()
        #expect(try example.run("run", "--quiet").status == 0)
        let miniID = try #require(try userID(example, openid: "oMini9zLiSiAbCdEfGhIjKlMnOp"))
        let webID = try #require(try userID(example, openid: "oWebLiSiAbCdEfGhIjKlMnOpQr"))
        #expect(miniID != webID)

        // Night 2: the mobile app's export shares Li Si's unionid and website legacy id.
        try example.write("exports/mobile.yaml", mobileExport(legacyID: "20077"))
        let check = try example.run("check")
        #expect(check.stdout.contains("against the earlier output (3 users): 0 new, 1 kept, 1 merged (1 ids now aliases), 0 split, 0 gone"))
        #expect(try example.run("run", "--quiet").status == 0)
        // Both had one record in the merged user: the earlier created_at (the website's) wins.
        #expect(try userID(example, openid: "oMini9zLiSiAbCdEfGhIjKlMnOp") == webID)
        let queue = try DatabaseQueue(path: example.folder + "/out/merged.db")
        let aliases = try queue.read { try Row.fetchAll($0, sql: "SELECT * FROM user_aliases") }
        #expect(aliases.count == 1)
        #expect(aliases.first?["old_user_id"] as String? == miniID)
        #expect(aliases.first?["user_id"] as String? == webID)
        #expect(aliases.first?["run_id"] as Int? == 2)
        let merged = try #require((try json(example)["changes"] as? [String: Any])?["merged"] as? [[String: Any]])
        #expect(merged.first?["user_id"] as? String == webID)
        #expect(merged.first?["aliases"] as? [String] == [miniID])
        // The old id still leads somewhere.
        let explained = try example.run("explain", miniID)
        #expect(explained.stdout.hasPrefix("user \(webID)"))
        #expect(explained.stdout.contains("also known as \(miniID)"))

        // Night 3: the export is corrected (the legacy id was wrong): the website record splits off.
        try example.write("exports/mobile.yaml", mobileExport(legacyID: nil))
        let night3 = try example.run("run")
        #expect(night3.stdout.contains("against the earlier output (2 users): 0 new, 2 kept, 0 merged (0 ids now aliases), 1 split, 0 gone"))
        #expect(try userID(example, openid: "oMini9zLiSiAbCdEfGhIjKlMnOp") == webID)
        let splitID = try #require(try userID(example, openid: "oWebLiSiAbCdEfGhIjKlMnOpQr"))
        #expect(splitID != webID && splitID != miniID)
        let split = try #require((try json(example)["changes"] as? [String: Any])?["split"] as? [[String: Any]])
        #expect(split.first?["earlier_id"] as? String == webID)
        #expect(split.first?["parts"] as? [String] == [webID, splitID])
        // The earlier alias still leads to a current user.
        let current = try queue.read { try String.fetchAll($0, sql: "SELECT user_id FROM users") }
        let targets = try queue.read { try String.fetchAll($0, sql: "SELECT user_id FROM user_aliases") }
        #expect(targets.allSatisfy(current.contains))
    }

    @Test func failOnChangesOverGuardsAgainstABrokenExport() throws {
        let example = try nightOne()
        #expect(try example.run("run", "--quiet").status == 0)
        // A broken export: the mini program's file is empty tonight.
        try example.write("exports/mini_program.yaml", "records: []\n")
        let run = try example.run("run", "--quiet", "--fail-on", "changes-over", "20")
        #expect(run.status == 1)
        #expect(run.stderr.contains("--fail-on changes-over 20.0: 33.33 % of 3 earlier users were merged away, split or gone"))
        #expect(try example.run("run", "--quiet", "--fail-on", "changes-over=50").status == 0)
        #expect(try example.run("run", "--quiet", "--fail-on", "changes-over", "lots").status == 64)
    }

    static let checkpoints = ["parsed", "users-written", "database-written", "reports-written", "journal-written"]

    @Test(arguments: checkpoints)
    func aRunKilledBeforePublishingLeavesTheEarlierOutputAsItWas(_ checkpoint: String) throws {
        let folder = NSTemporaryDirectory() + "wxmerge-kill-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try GeneratedJob.write(people: 20_000, to: folder)
        let first = try Executable.run(["run", "--quiet", "wxmerge.yaml"], in: folder)
        #expect(first.status == 0)
        let outputs = ["out/merged.db", "out/report.md", "out/report.json", "out/report.html"]
        let earlier = outputs.map { FileManager.default.contents(atPath: folder + "/" + $0) }

        try "source: late\nappid: wx00000000000000a2\nrecords:\n  - openid: oLateArrival\n"
            .write(toFile: folder + "/exports/zz-late.yaml", atomically: true, encoding: .utf8)
        let run = try SpawnedRun(["run", "--quiet", folder + "/wxmerge.yaml"], stopAt: checkpoint)
        #expect(run.waitUntilStopped())
        run.kill()
        #expect(outputs.map { FileManager.default.contents(atPath: folder + "/" + $0) } == earlier)

        let next = try Executable.run(["run", "--quiet", "wxmerge.yaml"], in: folder)
        #expect(next.status == 0)
        let left = try FileManager.default.contentsOfDirectory(atPath: folder + "/out").filter { $0.hasPrefix(".") }
        #expect(left.isEmpty)
        let queue = try DatabaseQueue(path: folder + "/out/merged.db")
        // A run killed after its journal was in place is finished by the next run, which then adds its own.
        let runs = checkpoint == "journal-written" ? 3 : 2
        #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT max(run_id) FROM runs") } == runs)
    }

    /// An export that changes after it was parsed would make `runs.inputs` fingerprint
    /// bytes the run never read: the run stops with exit 66 and writes nothing.
    @Test func anExportChangedDuringARunIsAnErrorAndTheEarlierOutputStays() throws {
        let example = try ExampleCopy()
        #expect(try example.run("run", "--quiet").status == 0)
        let earlier = FileManager.default.contents(atPath: example.folder + "/out/merged.db")
        let run = try SpawnedRun(["run", "--quiet", example.folder + "/wxmerge.yaml"], stopAt: "parsed")
        #expect(run.waitUntilStopped())
        try example.write("exports/website.yaml", try example.read("exports/website.yaml") + "\n# edited\n")
        #expect(run.resume() == 66)
        #expect(FileManager.default.contents(atPath: example.folder + "/out/merged.db") == earlier)
        let left = try FileManager.default.contentsOfDirectory(atPath: example.folder + "/out").filter { $0.hasPrefix(".") }
        #expect(left.isEmpty)
    }

    @Test func aRunKilledWhilePublishingIsFinishedByTheNextRun() throws {
        let example = try ExampleCopy()
        #expect(try example.run("run", "--quiet").status == 0)
        try example.write("exports/website.yaml", try example.read("exports/website.yaml")
            .replacingOccurrences(of: "nickname: Zhang San", with: "nickname: Zhang San (web)"))
        let run = try SpawnedRun(["run", "--quiet", example.folder + "/wxmerge.yaml"], stopAt: "publishing")
        #expect(run.waitUntilStopped())
        run.kill()
        // Half published: the next run, even a failing one, first finishes the renames.
        try example.write("exports/broken.yaml", "[")
        #expect(try example.run("run", "--quiet").status == 65)
        let queue = try DatabaseQueue(path: example.folder + "/out/merged.db")
        let lastRun = try queue.read { try String.fetchOne($0, sql: "SELECT started_at FROM runs WHERE run_id = 2") }
        #expect(lastRun != nil)
        #expect(try json(example)["started_at"] as? String == lastRun)
        #expect(try example.read("out/report.md").contains("## Changes since the earlier run"))
        let left = try FileManager.default.contentsOfDirectory(atPath: example.folder + "/out").filter { $0.hasPrefix(".") }
        #expect(left.isEmpty)
    }

    @Test func anOutputFolderThatCannotBeMadeExits73() throws {
        let example = try ExampleCopy()
        try example.write("out", "a file where the output folder should be")
        let run = try example.run("run")
        #expect(run.status == 73)
        #expect(try example.read("out") == "a file where the output folder should be")
    }

    @Test func aDatabaseOfAnotherSchemaVersionIsLeftAlone() throws {
        let example = try ExampleCopy()
        #expect(try example.run("run", "--quiet").status == 0)
        let queue = try DatabaseQueue(path: example.folder + "/out/merged.db")
        try queue.write { try $0.execute(sql: "PRAGMA user_version = 99") }
        try queue.close()
        let before = example.bytes("out/merged.db")
        let run = try example.run("run")
        #expect(run.status == 73)
        #expect(run.stderr.contains("has schema version 99, which this wxmerge does not read"))
        #expect(example.bytes("out/merged.db") == before)
    }
}

/// The three nights the README shows, on examples/nightly.
@Suite struct NightlyExampleTests {
    @Test func theReadmesThreeNightsHappenAsItSays() throws {
        let example = try ExampleCopy("nightly")
        // Each night's output as the README shows it: the lines after each `$ ` line.
        let readme = try String(contentsOf: Executable.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex { $0.hasPrefix("Three nights of `examples/nightly`") })
        let open = try #require(lines[start...].firstIndex { $0.hasPrefix("```") })
        let close = try #require(lines[(open + 1)...].firstIndex { $0.hasPrefix("```") })
        var nights: [[String]] = []
        for line in lines[(open + 1)..<close] {
            if line.hasPrefix("$ ") { nights.append([]) } else { nights[nights.count - 1].append(line) }
        }
        #expect(nights.count == 3)
        for night in 1...3 {
            let tonight = example.folder + "/tonight"
            for file in try FileManager.default.contentsOfDirectory(atPath: tonight) where file.hasSuffix(".yaml") {
                try FileManager.default.removeItem(atPath: tonight + "/" + file)
            }
            for file in try FileManager.default.contentsOfDirectory(atPath: example.folder + "/night-\(night)") {
                try FileManager.default.copyItem(atPath: example.folder + "/night-\(night)/" + file, toPath: tonight + "/" + file)
            }
            let run = try example.run("run")
            #expect(run.status == 0)
            #expect(run.stdout.split(separator: "\n").map(String.init) == nights[night - 1], "night \(night)")
        }
        let report = try example.read("out/report.md")
        #expect(report.contains("| `u_8433f951ce4b99f9536814cf` | `u_8433f951ce4b99f9536814cf`, `u_f56361228cb679b2b94b1a95` |"))
    }
}
