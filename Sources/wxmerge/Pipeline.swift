import ArgumentParser
import WXMergeCore
import WXMergeReport
import WXMergeStore
import WXMergeYAML
import Foundation
import Synchronization

/// One run of a job, from the job file to the published outputs: the wiring of the
/// libraries, shared by `run` (which writes) and `check` (which does not).
struct Pipeline {
    let options: JobOptions
    let writes: Bool

    struct Outcome {
        var report: RunReport
        var databasePath: String
        var reportPaths: [String]
        var timings: PhaseTimings
    }

    func execute() throws -> Outcome {
        let started = Date()
        var timings = PhaseTimings()
        let jobFile = InputFile.at(options.job, displayPath: options.job)
        let job = try JobFileReader().read(path: options.job)
        let files = try InputFile.resolve(job)
        // Found (sized and dated) before they are read, as the record files are.
        let mapFiles = job.migrations.map {
            InputFile.at(Self.path($0.openidMap, in: job.folder), displayPath: $0.openidMap)
        }
        let maps = try zip(job.migrations, mapFiles).map { migration, file in
            guard access(file.path, F_OK) == 0 else {
                throw RunFailure(exitCode: RunFailure.missingInput,
                                 [.error(at: migration.location, RecordMessage.missingOpenIDMap(migration.openidMap))])
            }
            let map = try OpenIDMapReader().read(path: file.path, displayPath: migration.openidMap)
            return (newOpenID: map.newOpenID, erroredItems: map.erroredItems)
        }
        let publisher = OutputPublisher(
            databasePath: options.database ?? Self.path(job.database, in: job.folder),
            reportPrefix: options.report ?? Self.path(job.report, in: job.folder))

        var isPublished = false
        if writes {
            try publisher.begin(wait: options.wait)
        } else if publisher.hasUnfinishedPublishing {
            Console.error(.init(.warning, at: nil, StoreMessage.unfinishedPublishing(publisher.databasePath)))
        }
        // A run that fails leaves nothing: no temporary file, no folder, no lock.
        defer { if writes, !isPublished { publisher.discard() } }
        // The earlier output is read on a thread of its own while the exports are parsed.
        let databasePath = publisher.databasePath
        let earlierReading = Background { try EarlierOutput.read(path: databasePath) }
        let spoolFolder = writes ? publisher.databaseFolder : (ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp")
        let progress = ReadProgress()
        let line = ProgressLine(enabled: !options.quiet, totalBytes: files.reduce(0) { $0 + $1.size }, files: files.count,
                                progress: progress)
        // The fingerprints of the job file and the inputs for `runs`, worked out where
        // the other threads leave a core free. Taken while the exports are parsed, they
        // are of the parsed bytes only if no export changed before the parse was over:
        // that is checked when they are used.
        let fingerprinted = [jobFile] + files + mapFiles
        let hashing = writes ? GapWork.start(fingerprinted.map { file in { try file.sha256() } }) : nil
        var input: ReadResult
        let spools: [PayloadSpool]
        do {
            (input, spools) = try RecordReader(job: job, files: files).read(spoolFolder: spoolFolder, progress: progress)
            line.finish()
            timings.end("parse")
            Self.checkpoint("parsed")
        } catch {
            line.finish()
            throw error
        }
        let earlier = try earlierReading.value()
        let grouped = WarningTally.grouped(input.warnings)
        for kind in grouped.kinds {
            for warning in grouped.shown where warning.kind == kind.kind {
                Console.error(.init(.warning, at: warning.first, warning.message + Self.times(warning.count)))
            }
            if kind.omittedLines > 0 { Console.error(.init(.warning, at: nil, kind.omittedText)) }
        }
        line.show("reconciling \(input.records.records.count) records…")
        defer { line.clear() }
        if options.strict, !input.rejections.isEmpty {
            throw RunFailure(exitCode: RunFailure.dataError, input.rejections.prefix(20).map {
                .error(at: $0.location, $0.reason)
            } + (input.rejections.count > 20
                ? [.error(at: nil, CLIMessage.moreRejections(input.rejections.count - 20))] : []))
        }

        let migrations = Migrator(job: job).apply(&input.records, maps: maps)
        let earlierRuns = earlier?.runs ?? []
        let reconciler = Reconciler(job: job)
        let ordered = reconciler.order(&input.records)
        timings.end("order")
        // The earlier output's users, and which records each held, read while the records
        // are linked and written.
        let earlierState = earlier.map { earlier in Background { try earlier.state(for: ordered, job: job) } }
        let privacy = Privacy(showsValues: options.showValues)
        let (read, rejections, warnings) = (input.read, input.rejections, input.warnings)
        /// Links the records into people; what linking freed goes back to the system.
        @Sendable func link() -> LinkedRecords {
            let linked = reconciler.link(ordered)
            releaseFreedMemory()
            return linked
        }
        /// The users' fields and ids, and the report.
        @Sendable func decide(_ linked: LinkedRecords) throws -> (result: Reconciliation, facts: RunReport) {
            let result = reconciler.decideUsers(linked, earlier: try earlierState?.value())
            let finished = Date()
            let facts = RunReport(job: job, result: result, read: read, rejections: rejections,
                                  warnings: warnings, migrations: migrations, version: WXMerge.version,
                                  startedAt: Self.timestamp(started), finishedAt: Self.timestamp(finished),
                                  durationSeconds: finished.timeIntervalSince(started), privacy: privacy)
            return (result, facts)
        }
        guard writes else {
            let facts = try decide(link()).facts
            timings.end("reconcile")
            return Outcome(report: facts, databasePath: publisher.databasePath, reportPaths: publisher.reportPaths,
                           timings: timings)
        }

        // While the records go in, the other core links them and decides the users;
        // then, at a lower priority, writes the users into a part of the database of
        // their own while the records' indexes and the links go in.
        line.show("writing \(publisher.databasePath)…")
        let linking = Background { link() }
        let deciding = Background { () -> (SQLiteWriter.Remainder, RunReport) in
            let (result, facts) = try decide(linking.value())
            return (SQLiteWriter.Remainder(result: result, rejections: rejections, earlierRuns: earlierRuns, job: job), facts)
        }
        /// The run's `runs` row, asked for last: the inputs' fingerprints have had
        /// until the users' part is copied in (where the other core is free) to be
        /// taken in the gaps.
        func runRow() throws -> RunRow {
            let (remainder, facts) = try deciding.value()
            let result = remainder.result
            var counts = ["read": read, "accepted": result.records.count, "rejected": rejections.count,
                          "accounts": result.accounts, "users": result.users.count,
                          "conflicts": result.conflicts.count]
            for (rule, links) in facts.linksByRule { counts["links_" + rule] = links }
            let hashes = try hashing!.values()
            for file in files { try file.checkUnchanged() }
            let inputs = Dictionary(zip(fingerprinted.dropFirst().map(\.displayPath), hashes.dropFirst())) { first, _ in first }
            return RunRow(startedAt: facts.startedAt, finishedAt: facts.finishedAt, version: WXMerge.version,
                          configSHA256: hashes[0], inputs: inputs, counts: counts)
        }
        let writer = SQLiteWriter(job: job)
        let path = publisher.temporaryDatabasePath
        let spoolsDone = SpoolRelease(spools)
        let writingUsers = Background(yielding: true) {
            try writer.writeUsers(deciding.value().0.result, for: path)
            spoolsDone.arrive()
            Self.checkpoint("users-written")
        }
        do {
            try writer.write(ordered, spools: spools, to: path, userNumbers: {
                spoolsDone.arrive()  // asked for once the records are in
                return try linking.value().userOf
            },
                             remainder: { try deciding.value().0 }, usersWritten: { try writingUsers.value() },
                             runRow: runRow)
        } catch {
            try? writingUsers.value()  // done with its part, which `discard` removes
            throw error
        }
        let facts = try deciding.value().1
        timings.end("write")
        Self.checkpoint("database-written")
        try publisher.writeTemporary(MarkdownReport.render(facts), for: publisher.reportPaths[0])
        try publisher.writeTemporary(JSONReport.render(facts), for: publisher.reportPaths[1])
        try publisher.writeTemporary(HTMLReport.render(facts), for: publisher.reportPaths[2])
        Self.checkpoint("reports-written")
        timings.end("report")
        try publisher.publish(pausingAt: Self.checkpoint)
        isPublished = true
        timings.end("publish")
        return Outcome(report: facts, databasePath: publisher.databasePath, reportPaths: publisher.reportPaths,
                       timings: timings)
    }

    /// Stops the process (SIGSTOP) at the named point of a run when the environment
    /// variable `WXMERGE_TEST_STOP_AT` names it: how the tests kill a run at a known point.
    static func checkpoint(_ name: String) {
        if ProcessInfo.processInfo.environment["WXMERGE_TEST_STOP_AT"] == name {
            raise(SIGSTOP)
        }
    }

    static func path(_ path: String, in folder: String) -> String {
        path.hasPrefix("/") || folder == "." ? path : folder + "/" + path
    }

    static func timestamp(_ date: Date) -> String {
        Normalization.formatTime(Int64(date.timeIntervalSince1970.rounded(.down)))
    }

    static func times(_ count: Int) -> String {
        count == 1 ? "" : " (\(count) records)"
    }
}

/// Gives the payload spools back once the records are written and the users' part too,
/// by whichever of the two threads finishes last: closing them frees some 200 MB of page
/// cache at a million people, which otherwise costs the run's last 0.05 s on one core.
final class SpoolRelease: Sendable {
    private let spools: [PayloadSpool]
    private let arrivals = Atomic<Int>(0)

    init(_ spools: [PayloadSpool]) {
        self.spools = spools
    }

    func arrive() {
        if arrivals.add(1, ordering: .acquiringAndReleasing).newValue == 2 {
            for spool in spools { spool.release() }
        }
    }
}

/// Wall time of each phase of a run, for `--timings`.
struct PhaseTimings {
    private(set) var phases: [(name: String, seconds: Double, peakMB: Int)] = []
    private var last = Date()

    mutating func end(_ name: String) {
        let now = Date()
        phases.append((name, now.timeIntervalSince(last), Self.peakResidentMB()))
        last = now
    }

    var description: String {
        "timings: " + phases.map {
            "\($0.name) \(MarkdownReport.fixed($0.seconds, 2)) s (peak \($0.peakMB) MB)"
        }.joined(separator: ", ")
    }

    /// The process's peak resident set so far (VmHWM), in MB; 0 where /proc is missing.
    static func peakResidentMB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ")[1])
        else { return 0 }
        return kilobytes / 1024
    }
}

enum CLIMessage {
    static func moreRejections(_ count: Int) -> String { "and \(count) more rejected records" }
    static func notEmpty(_ folder: String) -> String {
        "'\(folder)' is not empty; use --force to replace what generate writes there"
    }
    static func cannotGenerate(_ folder: String, _ reason: String) -> String { "cannot write '\(folder)': \(reason)" }
    static func cannotReadTruth(_ path: String) -> String { "cannot read the truth file '\(path)'" }
    static let truthLine = "a truth line must be file,index,person"
    static func notFound(_ key: String, _ database: String) -> String { "no user in '\(database)' holds '\(key)'" }
    static func failOn(_ condition: String, _ count: Int) -> String { "--fail-on \(condition): \(count) found" }
    static func changesOver(_ limit: Double, _ changes: Changes) -> String {
        "--fail-on changes-over \(limit): \(MarkdownReport.fixed(changes.changedPercent, 2)) % of \(changes.earlierUsers) "
            + "earlier users were merged away, split or gone"
    }
}
