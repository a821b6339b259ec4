import Foundation
import Testing

@Suite struct GenerateTests {
    private func folder() -> String {
        NSTemporaryDirectory() + "wxmerge-generate-" + UUID().uuidString
    }

    @Test func theSameSeedGivesTheSameBytes() throws {
        let a = folder(), b = folder(), c = folder()
        defer { for path in [a, b, c] { try? FileManager.default.removeItem(atPath: path) } }
        for (path, seed) in [(a, "5"), (b, "5"), (c, "6")] {
            #expect(try Executable.run(["generate", "--users", "3000", "--seed", seed, "--out", path], in: "/").status == 0)
        }
        for name in ["wxmerge.yaml", "truth.csv", "exports/mini_program.yaml", "exports/legacy_oa.yaml"] {
            #expect(FileManager.default.contents(atPath: a + "/" + name) == FileManager.default.contents(atPath: b + "/" + name), "\(name)")
        }
        #expect(FileManager.default.contents(atPath: a + "/truth.csv") != FileManager.default.contents(atPath: c + "/truth.csv"))
    }

    @Test func aGeneratedJobRunsWithPerfectPrecisionAndRecallAtTheCeiling() throws {
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try Executable.run(["generate", "--users", "3000", "--out", path], in: "/").status == 0)
        let run = try Executable.run(["run", "--quiet"], in: path)
        #expect(run.status == 0, "\(run.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path + "/out/report.json"))) as! [String: Any]
        let totals = report["totals"] as! [String: Any]
        #expect(totals["rejected"] as? Int == 3)
        #expect((report["apps"] as? [Any])?.count == 7)
        let score = try Executable.run(["score", "--truth", "truth.csv"], in: path)
        let line = try #require(score.stdout.split(separator: "\n").last)
        #expect(line.hasPrefix("precision 1.0000"))
        let numbers = line.split(separator: " ").compactMap { Double($0) }
        #expect(numbers.count == 4 && numbers[1] == numbers[3], "recall must equal the ceiling: \(line)")
    }

    /// generate says what it wrote and the command to run next, and that command works.
    @Test func generateTellsTheNextStep() throws {
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let generated = try Executable.run(["generate", "--users", "20", "--out", path], in: "/")
        let lines = generated.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "wrote \(path)/wxmerge.yaml, \(path)/exports/*.yaml and \(path)/truth.csv (20 people, seed 1)")
        #expect(lines.last == "next: wxmerge run \(path)/wxmerge.yaml")
        let next = try #require(lines.last?.split(separator: " ").dropFirst(2).map(String.init))
        #expect(try Executable.run(next, in: "/").status == 0)
    }

    /// score refuses a truth file of another job (exit 65, saying why) instead of scoring
    /// the few records whose file names happen to match.
    @Test func scoreRefusesATruthFileOfAnotherJob() throws {
        let (path, other) = (folder(), folder())
        defer {
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: other)
        }
        #expect(try Executable.run(["generate", "--users", "200", "--out", path], in: "/").status == 0)
        #expect(try Executable.run(["generate", "--users", "30", "--seed", "2", "--out", other], in: "/").status == 0)
        #expect(try Executable.run(["run", "--quiet"], in: path).status == 0)
        let refused = try Executable.run(["score", "--truth", other + "/truth.csv"], in: path)
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("does not describe the inputs"))
        #expect(refused.stdout.isEmpty)
        #expect(try Executable.run(["score", "--truth", "truth.csv"], in: path).status == 0)
    }

    /// score against a file that is not a wxmerge database says so (exit 73) and leaves it.
    @Test func scoreRefusesAFileThatIsNotADatabase() throws {
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try Executable.run(["generate", "--users", "20", "--out", path], in: "/").status == 0)
        try "not a database".write(toFile: path + "/other.db", atomically: true, encoding: .utf8)
        let refused = try Executable.run(["score", "--truth", "truth.csv", "--database", "other.db"], in: path)
        #expect(refused.status == 73)
        #expect(refused.stderr.contains("is not a wxmerge database"))
        #expect(try String(contentsOfFile: path + "/other.db", encoding: .utf8) == "not a database")
    }

    /// `wxmerge --help` lists the exit codes.
    @Test func helpListsTheExitCodes() throws {
        let help = try Executable.run(["--help"], in: "/").stdout
        for code in ["0", "1", "64", "65", "66", "70", "73", "75", "78"] {
            #expect(help.contains("\n  \(code) "), "exit code \(code)")
        }
    }

    @Test func aFolderThatIsNotEmptyIsRefusedUnlessForced() throws {
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try "mine".write(toFile: path + "/notes.txt", atomically: true, encoding: .utf8)
        #expect(try Executable.run(["generate", "--users", "10", "--out", path], in: "/").status == 73)
        #expect(try Executable.run(["generate", "--users", "10", "--out", path, "--force"], in: "/").status == 0)
        #expect(FileManager.default.fileExists(atPath: path + "/notes.txt"))
        #expect(FileManager.default.fileExists(atPath: path + "/truth.csv"))
    }
}
