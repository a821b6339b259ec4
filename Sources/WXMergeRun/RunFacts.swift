internal import WXMergeCore
internal import WXMergeStore
internal import WXMergeYAML
import Foundation

/// What the report needs besides the reconciliation, gathered before the users are
/// decided (on another thread, in a run).
struct ReportFacts: Sendable {
    let job: Job
    let read: Int
    let rejections: [Rejection]
    let warnings: [WarningTally]
    let migrations: [Migrator.Counts]
    let started: Date
    let privacy: Privacy

    init(job: Job, input: ReadResult, migrations: [Migrator.Counts], started: Date, privacy: Privacy) {
        self.job = job
        read = input.read
        rejections = input.rejections
        warnings = input.warnings
        self.migrations = migrations
        self.started = started
        self.privacy = privacy
    }

    /// The report, finished now.
    func report(_ result: Reconciliation) -> RunReport {
        let finished = Date()
        return RunReport(job: job, result: result, read: read, rejections: rejections, warnings: warnings,
                         migrations: migrations, version: wxmergeVersion, startedAt: Self.timestamp(started),
                         finishedAt: Self.timestamp(finished), durationSeconds: finished.timeIntervalSince(started),
                         privacy: privacy)
    }

    static func timestamp(_ date: Date) -> String {
        Normalization.formatTime(Int64(date.timeIntervalSince1970.rounded(.down)))
    }
}

/// The SHA-256 of the job file and of every input for `runs`, taken in the gaps the other
/// threads leave (`GapWork`) while the exports are parsed and the tables written. They are
/// of the parsed bytes only if no input changed meanwhile: `runRow` checks that.
final class Fingerprints: Sendable {
    private let files: [InputFile]
    private let recordFiles: [InputFile]
    private let hashing: GapWork<String>

    init(_ inputs: Run.JobInputs) {
        files = [inputs.jobFile] + inputs.files + inputs.mapFiles
        recordFiles = inputs.files
        hashing = GapWork.start(files.map { file in { try file.sha256() } })
    }

    /// This run's row of `runs`.
    /// - Throws: `InputError` when a record file changed while it was read.
    func runRow(_ result: Reconciliation, _ report: RunReport) throws -> RunRow {
        var counts = ["read": report.totals.read, "accepted": result.records.count, "rejected": report.totals.rejected,
                      "accounts": result.accounts, "users": result.users.count,
                      "conflicts": result.conflicts.count]
        for (rule, links) in report.linksByRule { counts["links_" + rule] = links }
        let hashes = try hashing.values()
        for file in recordFiles { try file.checkUnchanged() }
        let inputs = Dictionary(zip(files.dropFirst().map(\.displayPath), hashes.dropFirst())) { first, _ in first }
        return RunRow(startedAt: report.startedAt, finishedAt: report.finishedAt, version: wxmergeVersion,
                      configSHA256: hashes[0], inputs: inputs, counts: counts)
    }
}

/// One phase of a run: its wall time and the process's peak resident memory at its end.
public struct Phase: Sendable {
    public var name: String
    public var seconds: Double
    public var peakMB: Int
}

/// Times the phases of a run as they end.
struct PhaseClock {
    let started = Date()
    private(set) var phases: [Phase] = []
    private var last = Date()

    mutating func end(_ name: String) {
        let now = Date()
        phases.append(Phase(name: name, seconds: now.timeIntervalSince(last), peakMB: Self.peakResidentMB()))
        last = now
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
