import Foundation
import GRDB
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// One run at a time, and a set of outputs that is whole after any failure (docs/reference.md, "Publishing").
@Suite struct PublishingTests {
    private static let outputs = ["out/merged.db", "out/report.md", "out/report.json", "out/report.html"]

    private static func runs(_ folder: String) throws -> Int? {
        let queue = try DatabaseQueue(path: folder + "/out/merged.db")
        return try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM runs") }
    }

    @Test func aSecondRunOnTheSameOutputExits75OrWaitsItsTurn() throws {
        let example = try ExampleCopy()
        let first = try SpawnedRun(["run", "--quiet", example.folder + "/wxmerge.yaml"], stopAt: "parsed")
        #expect(first.waitUntilStopped())
        let refused = try example.run("run", "--quiet")
        #expect(refused.status == 75)
        #expect(refused.stderr.contains("another run is writing the output in 'out'"))

        // A run that may wait starts while the first holds the output, and goes on after it.
        let waiting = try Executable.start(["run", "--quiet", "--wait", "600"], in: example.folder)
        #expect(first.resume() == 0)
        #expect(try waiting.wait().status == 0)
        #expect(try Self.runs(example.folder) == 2)
        let json = try JSONSerialization.jsonObject(with: Data(example.read("out/report.json").utf8)) as! [String: Any]
        let queue = try DatabaseQueue(path: example.folder + "/out/merged.db")
        let last = try queue.read { try String.fetchOne($0, sql: "SELECT started_at FROM runs WHERE run_id = 2") }
        #expect(json["started_at"] as? String == last)
    }

    @Test(arguments: [["run"], ["run", "--output", "new/deeper/merged.db"]])
    func aRunThatFailsLeavesNoFolder(_ arguments: [String]) throws {
        let example = try ExampleCopy()
        try example.write("exports/broken.yaml", "[")
        let run = try Executable.run(arguments, in: example.folder)
        #expect(run.status == 65)
        #expect(!FileManager.default.fileExists(atPath: example.folder + "/out"))
        #expect(!FileManager.default.fileExists(atPath: example.folder + "/new"))
    }

    /// The checkpoints are a hook of the tests' build only: the shipped `wxmerge` does
    /// not stop where the variable says.
    @Test func theShippedBinaryHasNoCheckpoints() throws {
        let example = try ExampleCopy()
        let started = try Executable.start(["run", "--quiet"], in: example.folder,
                                           environment: ["WXMERGE_TEST_STOP_AT": "parsed"])
        let run = SpawnedRun(pid: started.pid)
        let stopped = run.waitUntilStopped()  // false: it ran to its end (and is reaped)
        if stopped { run.kill() }
        _ = try started.wait()
        #expect(!stopped)
        #expect(FileManager.default.fileExists(atPath: example.folder + "/out/merged.db"))
    }

    /// The journal names its files from the root: a run started from another folder
    /// (here with the job's absolute path) finishes it all the same.
    @Test func aKilledPublishingIsFinishedByARunStartedFromAnotherFolder() throws {
        let example = try ExampleCopy()
        #expect(try example.run("run", "--quiet").status == 0)
        try example.write("exports/website.yaml", try example.read("exports/website.yaml")
            .replacingOccurrences(of: "nickname: Zhang San", with: "nickname: Zhang San (web)"))
        let started = try Executable.start(["run", "--quiet"], in: example.folder, tool: Executable.stopping.path,
                                           environment: ["WXMERGE_TEST_STOP_AT": "publishing"])
        let run = SpawnedRun(pid: started.pid)
        #expect(run.waitUntilStopped())
        run.kill()
        _ = try? started.wait()
        #expect(try Executable.run(["run", "--quiet", example.folder + "/wxmerge.yaml"], in: "/").status == 0)
        // The killed run's set was put in place (run 2), then this run's (run 3).
        let queue = try DatabaseQueue(path: example.folder + "/out/merged.db")
        #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM runs") } == 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: example.folder + "/out").filter { $0.hasPrefix(".") }.isEmpty)
    }

    @Test func checkSaysWhenAKilledRunLeftAPublishingHalfDone() throws {
        let example = try ExampleCopy()
        #expect(try example.run("run", "--quiet").status == 0)
        let run = try SpawnedRun(["run", "--quiet", example.folder + "/wxmerge.yaml"], stopAt: "publishing")
        #expect(run.waitUntilStopped())
        run.kill()
        let check = try example.run("check", "--quiet")
        #expect(check.status == 0)
        #expect(check.stderr.contains("left 'out/merged.db' and its reports half replaced; the next run finishes it first"))
        #expect(try example.run("run", "--quiet").status == 0)
        #expect(!(try example.run("check", "--quiet").stderr.contains("half replaced")))
    }
}

/// A full disk at each phase of a run, made with a small tmpfs (needs root, as CI runs)
/// that the test fills while the run is stopped at a checkpoint: whichever write fails,
/// the earlier set stays whole, nothing is left behind, and the next run publishes.
@Suite(.serialized) struct DiskFullTests {
    private static let canMount: Bool = getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/bin/mount")

    @Test(.enabled(if: canMount, "mounting a small tmpfs needs root"),
          arguments: ["parsed", "users-written", "database-written", "reports-written"])
    func aDiskThatFillsUpAtEachPhaseLeavesTheEarlierSet(_ checkpoint: String) throws {
        let mountPoint = NSTemporaryDirectory() + "wxmerge-full-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: mountPoint) }
        let mount = try Executable.run(["-t", "tmpfs", "-o", "size=16m", "tmpfs", mountPoint], in: "/", tool: "/bin/mount")
        try #require(mount.status == 0, "\(mount.stderr)")
        defer { _ = try? Executable.run([mountPoint], in: "/", tool: "/bin/umount") }

        let folder = NSTemporaryDirectory() + "wxmerge-fulljob-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let options = ["run", "--quiet", "--output", mountPoint + "/out/merged.db", "--report", mountPoint + "/out/report"]
        try GeneratedJob.write(people: 300, to: folder)
        #expect(try Executable.run(options, in: folder).status == 0)
        let files = ["merged.db", "report.md", "report.json", "report.html"].map { mountPoint + "/out/" + $0 }
        let earlier = files.map { FileManager.default.contents(atPath: $0) }

        try GeneratedJob.write(people: 2_000, to: folder)
        let run = try SpawnedRun(options + [folder + "/wxmerge.yaml"], stopAt: checkpoint)
        #expect(run.waitUntilStopped())
        let filler = mountPoint + "/filler"
        Self.fill(filler)
        #expect(run.resume() == 73)
        #expect(files.map { FileManager.default.contents(atPath: $0) } == earlier)
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint + "/out").filter { $0.hasPrefix(".") }.isEmpty)

        unlink(filler)
        #expect(try Executable.run(options, in: folder).status == 0)
        #expect(files.map { FileManager.default.contents(atPath: $0) } != earlier)
    }

    /// Writes `path` until the disk is full. Close-on-exec: a process the tests start
    /// meanwhile (the PostgreSQL server, which outlives the test) must not keep the file,
    /// and its space, once the test removes it.
    private static func fill(_ path: String) {
        let fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
        defer { close(fd) }
        let block = [UInt8](repeating: 0, count: 1 << 16)
        while block.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        let byte: [UInt8] = [0]
        while byte.withUnsafeBytes({ write(fd, $0.baseAddress, 1) }) > 0 {}
    }
}
