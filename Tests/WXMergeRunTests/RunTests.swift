import Foundation
import Testing
import WXMergeCore
import WXMergeRun
import WXMergeStore
import WXMergeYAML

/// The quickstart job in a temporary folder of its own.
private final class Quickstart {
    let folder = NSTemporaryDirectory() + "wxmerge-run-" + UUID().uuidString
    static let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/quickstart").path

    init() throws {
        try FileManager.default.copyItem(atPath: Self.source, toPath: folder)
        try? FileManager.default.removeItem(atPath: folder + "/out")
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    var options: RunOptions { RunOptions(jobPath: folder + "/wxmerge.yaml") }

    /// Every file in the output folder, by name, with its bytes.
    func outputs() throws -> [String: Data] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder + "/out")) ?? []
        return try Dictionary(uniqueKeysWithValues: names.map {
            ($0, try Data(contentsOf: URL(fileURLWithPath: folder + "/out/" + $0)))
        })
    }
}

private struct Stopped: Error {}

/// Collects what a run tells through `RunEvents`, from any thread.
private final class Heard: Sendable {
    let names = Locked<[String]>([])
    let warnings = Locked<[Diagnostic]>([])

    func events(failingAt failing: String? = nil) -> RunEvents {
        RunEvents(warning: { diagnostic in self.warnings.withLock { $0.append(diagnostic) } },
                  checkpoint: { name in
                      self.names.withLock { $0.append(name) }
                      if name == failing { throw Stopped() }
                  })
    }
}

@Suite struct RunTests {
    /// The library runs a job with no command line: its stages report through the events
    /// given, every checkpoint in order, and the outcome names what was written.
    @Test func aRunReportsItsCheckpointsAndWarningsThroughItsEvents() throws {
        let job = try Quickstart()
        let heard = Heard()
        let outcome = try Run(options: job.options, events: heard.events()).execute()
        #expect(outcome.report.totals.usersAfter == 2)
        #expect(outcome.outputs.map { ($0 as NSString).lastPathComponent }
                == ["merged.db", "report.md", "report.json", "report.html"])
        #expect(outcome.timings.map(\.name) == ["parse", "order", "write", "report", "publish"])
        let names = heard.names.withLock { $0 }
        #expect(names.filter { $0 != "users-written" }
                == ["parsed", "database-written", "reports-written", "journal-written", "publishing"])
        #expect(names.contains("users-written"))
        #expect(heard.warnings.withLock { $0.map(\.message) } == ["unknown key 'city' kept in attributes"])
    }

    /// A checkpoint that throws fails the run where it stands: at every one, the earlier
    /// output stays byte for byte and nothing of the failed run is left beside it.
    @Test(arguments: ["parsed", "users-written", "database-written", "reports-written", "journal-written"])
    func aRunFailedAtACheckpointLeavesTheEarlierOutput(_ checkpoint: String) throws {
        let job = try Quickstart()
        _ = try Run(options: job.options).execute()
        let earlier = try job.outputs()
        try "appid: wx5e900be284d15942\nrecords:\n  - openid: oWebNewUserAbCdEfGhIjKlMnOp\n"
            .write(toFile: job.folder + "/exports/website-extra.yaml", atomically: true, encoding: .utf8)
        #expect(throws: Stopped.self) {
            _ = try Run(options: job.options, events: Heard().events(failingAt: checkpoint)).execute()
        }
        #expect(try job.outputs() == earlier)
        // And the next run goes through.
        #expect(try Run(options: job.options).execute().report.totals.read == 5)
    }

    /// `check` reads and decides as a run would and writes nothing.
    @Test func checkWritesNothing() throws {
        let job = try Quickstart()
        let outcome = try Run(options: job.options).check()
        #expect(outcome.report.totals.usersAfter == 2)
        #expect(outcome.timings.map(\.name) == ["parse", "order", "reconcile"])
        #expect(!FileManager.default.fileExists(atPath: job.folder + "/out"))
    }

    /// `--strict` stops at a rejected record with the run's own error, naming the record.
    @Test func strictStopsWithTheRejections() throws {
        let job = try Quickstart()
        var options = job.options
        options.strict = true
        do {
            _ = try Run(options: options).execute()
            Issue.record("the run went through")
        } catch let error as RunError {
            #expect(error.kind == .rejectedRecords)
            #expect(error.diagnostics.count == 1)
            // Named as it opens from the current folder, as every message names a file.
            #expect(error.diagnostics.first?.location?.file == job.folder + "/exports/mini_program.yaml")
        }
        #expect(!FileManager.default.fileExists(atPath: job.folder + "/out"))
    }

    /// A message names a record file as it opens from the current folder; the tables keep
    /// it relative to the job file's folder.
    @Test func messagesNameFilesFromTheCurrentFolderAndTablesFromTheJobs() throws {
        let job = try Quickstart()
        let heard = Heard()
        let outcome = try Run(options: job.options, events: heard.events()).execute()
        #expect(heard.warnings.withLock { $0.map { $0.location?.file } } == [job.folder + "/exports/mini_program.yaml"])
        #expect(outcome.report.warnings.map(\.first) == ["exports/mini_program.yaml:13:5"])
    }
}
