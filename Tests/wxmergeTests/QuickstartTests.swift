import Foundation
import Testing

/// Runs the built executable on examples/quickstart and compares with the expected
/// output kept beside it, in examples/quickstart/expected (regenerate with
/// WXMERGE_UPDATE_EXPECTED=1 after checking the difference by hand).
@Suite struct QuickstartTests {
    private static let expected = Executable.packageRoot.appendingPathComponent("examples/quickstart/expected").path

    private func compare(_ actual: String, with name: String) throws {
        let path = Self.expected + "/" + name
        if ProcessInfo.processInfo.environment["WXMERGE_UPDATE_EXPECTED"] == "1" {
            try FileManager.default.createDirectory(atPath: Self.expected, withIntermediateDirectories: true)
            try actual.write(toFile: path, atomically: true, encoding: .utf8)
        }
        #expect(actual == (try String(contentsOfFile: path, encoding: .utf8)), "\(name)")
    }

    @Test func quickstartGivesTheExpectedDatabaseAndReports() throws {
        let example = try ExampleCopy()
        let run = try example.run("run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("4 records read: 3 accepted, 1 rejected"))
        #expect(run.stdout.contains("3 accounts -> 2 users"))
        try compare(try example.tables(), with: "tables.txt")
        try compare(try example.markdownReport(), with: "report.md")
        try compare(try example.jsonReport(), with: "report.json")
        #expect(try example.read("out/report.html").contains("<h2>Rejected records</h2>"))
    }

    /// A run asks glibc for huge pages (it starts itself again with the tunable set), but
    /// never overrides a `glibc.malloc.hugetlb` its caller chose.
    @Test(arguments: [nil, "glibc.malloc.hugetlb=0"])
    func aRunAsksForHugePagesUnlessTheCallerChose(_ tunables: String?) throws {
        let example = try ExampleCopy()
        let run = try SpawnedRun(["run", "--quiet", example.folder + "/wxmerge.yaml"], stopAt: "parsed",
                                 variables: ["GLIBC_TUNABLES": tunables])
        #expect(run.waitUntilStopped())
        let environment = try run.environment()
        #expect(run.resume() == 0)
        #expect(environment.contains("GLIBC_TUNABLES=" + (tunables ?? "glibc.malloc.hugetlb=1")))
        #expect(environment.filter { $0.contains("hugetlb") }.count == 1)
    }

    @Test func shuffledRecordsAndRenamedFilesGiveTheSameUsers() throws {
        let example = try ExampleCopy()
        #expect(try example.run("run", "--quiet").status == 0)
        let before = try example.tables(dropping: ["file", "line", "column", "position"])

        // Reverse the mini program's records and swap the files' names.
        let mini = try example.read("exports/mini_program.yaml")
        let parts = mini.components(separatedBy: "\n  - ")
        let reversed = ([parts[0]] + parts.dropFirst().reversed().map { $0.hasSuffix("\n") ? $0 : $0 + "\n" })
            .joined(separator: "\n  - ")
        try FileManager.default.removeItem(atPath: example.folder + "/exports/mini_program.yaml")
        try FileManager.default.moveItem(atPath: example.folder + "/exports/website.yaml",
                                         toPath: example.folder + "/exports/z-web.yaml")
        try example.write("exports/a-mini.yaml", reversed)
        #expect(try example.run("run", "--quiet").status == 0)
        #expect(try example.tables(dropping: ["file", "line", "column", "position"]) == before)
    }

    @Test func aFailedRunLeavesTheEarlierOutputUntouched() throws {
        let example = try ExampleCopy()
        #expect(try example.run("run", "--quiet").status == 0)
        let earlier = ["out/merged.db", "out/report.md", "out/report.json", "out/report.html"].map { example.bytes($0) }
        try example.write("exports/broken.yaml", "records:\n  - openid: o1\n    nickname: \"unclosed\n")
        let failed = try example.run("run")
        #expect(failed.status == 65)
        #expect(failed.stderr == """
            exports/broken.yaml:4:1: error: found unexpected end of stream
            exports/broken.yaml:3:15: note: while scanning a quoted scalar

            """)
        #expect(["out/merged.db", "out/report.md", "out/report.json", "out/report.html"].map { example.bytes($0) } == earlier)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: example.folder + "/out").filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)
    }

    @Test func scoreComparesTheUsersWithATruth() throws {
        let example = try ExampleCopy()
        #expect(try example.run("run", "--quiet").status == 0)
        try example.write("truth.csv", """
            file,index,person
            exports/mini_program.yaml,0,zhang
            exports/mini_program.yaml,1,li
            exports/mini_program.yaml,2,visitor
            exports/website.yaml,0,zhang

            """)
        let score = try example.run("score", "--truth", "truth.csv")
        #expect(score.status == 0, "\(score.stderr)")
        #expect(score.stdout == """
            records scored: 3
            true pairs: 1, merged pairs: 1, correct: 1
            precision 1.0000  recall 1.0000  F1 1.0000  recall ceiling 1.0000

            """)
    }

    @Test func checkWritesNothing() throws {
        let example = try ExampleCopy()
        let check = try example.run("check")
        #expect(check.status == 0)
        #expect(check.stdout.contains("3 accounts -> 2 users"))
        #expect(!FileManager.default.fileExists(atPath: example.folder + "/out"))
    }

    @Test func failOnRejectedExitsOneAfterWriting() throws {
        let example = try ExampleCopy()
        let run = try example.run("run", "--quiet", "--fail-on", "rejected")
        #expect(run.status == 1)
        #expect(run.stdout.isEmpty)
        #expect(run.stderr.contains("wxmerge: error: --fail-on rejected: 1 found"))
        #expect(FileManager.default.fileExists(atPath: example.folder + "/out/merged.db"))
        #expect(try example.run("run", "--quiet", "--fail-on", "conflicts").status == 0)
    }

    @Test func strictStopsOnTheFirstRejectionAndWritesNothing() throws {
        let example = try ExampleCopy()
        let run = try example.run("run", "--strict")
        #expect(run.status == 65)
        #expect(run.stderr.contains(
            "exports/mini_program.yaml:20:5: error: 'is_snapshotuser' is 1: a snapshot user's ids are virtual"))
        #expect(!FileManager.default.fileExists(atPath: example.folder + "/out/merged.db"))
    }

    @Test func outputOptionsOverrideTheJobFile() throws {
        let example = try ExampleCopy()
        #expect(try example.run("run", "--quiet", "--output", "elsewhere.db", "--report", "r/merge").status == 0)
        #expect(FileManager.default.fileExists(atPath: example.folder + "/elsewhere.db"))
        #expect(FileManager.default.fileExists(atPath: example.folder + "/r/merge.md"))
        #expect(FileManager.default.fileExists(atPath: example.folder + "/r/merge.json"))
    }
}

@Suite struct ExitCodeTests {
    @Test func aBadJobFileExits78WithItsPosition() throws {
        let example = try ExampleCopy()
        try example.write("wxmerge.yaml", try example.read("wxmerge.yaml").replacingOccurrences(of: "type: website", with: "type: site"))
        let run = try example.run("run")
        #expect(run.status == 78)
        #expect(run.stderr.hasPrefix("wxmerge.yaml:10:11: error: unknown app type 'site'"))
    }

    @Test func aMissingOpenIDMapExits66NamingTheEntry() throws {
        let example = try ExampleCopy()
        try example.write("wxmerge.yaml", try example.read("wxmerge.yaml")
            + "migrations:\n  - from: wx5e900be284d15942\n    to: wx38604b8e0a1b2c3d\n    openid_map: maps/none.yaml\n")
        let run = try example.run("run")
        #expect(run.status == 66)
        #expect(run.stderr == "wxmerge.yaml:22:5: error: openid_map 'maps/none.yaml' does not exist\n")
    }

    @Test func aMissingInputExits66NamingTheEntry() throws {
        let example = try ExampleCopy()
        try FileManager.default.removeItem(atPath: example.folder + "/exports")
        let run = try example.run("run")
        #expect(run.status == 66)
        #expect(run.stderr == "wxmerge.yaml:17:5: error: input 'exports/*.yaml' matches no file\n")
        #expect(try example.run("run", "missing.yaml").status == 66)
    }

    @Test func anOutputThatIsNotAWXMergeDatabaseExits73() throws {
        let example = try ExampleCopy()
        try FileManager.default.createDirectory(atPath: example.folder + "/out", withIntermediateDirectories: true)
        try example.write("out/merged.db", "precious")
        let run = try example.run("run")
        #expect(run.status == 73)
        #expect(try example.read("out/merged.db") == "precious")
    }

    @Test func theJobFileMayFollowFailOn() throws {
        let example = try ExampleCopy()
        try FileManager.default.moveItem(atPath: example.folder + "/wxmerge.yaml", toPath: example.folder + "/nightly.yaml")
        #expect(try example.run("run", "--quiet", "--fail-on", "changes-over", "5", "nightly.yaml").status == 0)
        #expect(try example.run("run", "--quiet", "--fail-on", "rejected", "nightly.yaml").status == 1)
        #expect(try example.run("run", "--fail-on", "sometimes", "nightly.yaml").status == 64)
    }

    /// A usage error is printed as every other error is, then the usage line.
    @Test func anUnknownOptionIsAUsageError() throws {
        let run = try ExampleCopy().run("run", "--frobnicate")
        #expect(run.status == 64)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.first == "wxmerge: error: Unknown option '--frobnicate'")
        #expect(lines.dropFirst().first?.hasPrefix("Usage: wxmerge run [<job>]") == true)
    }
}
