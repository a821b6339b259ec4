import ArgumentParser
import WXMergeCore
import WXMergeReport
import WXMergeRun

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a job: read the exports, merge, write the database and the report."
    )

    @OptionGroup var options: JobOptions

    func run() throws {
        try Outcomes.execute(options, writes: true)
    }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Read and validate everything and tell what a run would do; write nothing."
    )

    @OptionGroup var options: JobOptions

    func run() throws {
        try Outcomes.execute(options, writes: false)
    }
}

/// Runs a job for `run` and `check`, and turns what it found into output and an exit code.
enum Outcomes {
    static func execute(_ options: JobOptions, writes: Bool) throws {
        let line = ProgressBox(quiet: options.quiet)
        defer { line.clear() }
        let run = Run(options: RunOptions(jobPath: options.job, database: options.database, reportPrefix: options.report,
                                          wait: options.wait, strict: options.strict, showsValues: options.showValues),
                      events: RunEvents(stage: line.show, warning: { Console.error($0) },
                                        checkpoint: Hooks.checkpoint.withLock { $0 }))
        let outcome = try ExitStatus.reporting {
            try writes ? run.execute() : run.check()
        }
        line.clear()
        if options.timings { Console.printError(timings(outcome.timings)) }
        if !options.quiet {
            let outputs = outcome.outputs.joined(separator: ", ")
            print(summary(outcome.report))
            print(writes ? "wrote \(outputs)" : "nothing written (a run would write \(outputs))")
        }
        try failOn(options, outcome.report)
    }

    /// Exit 1 when a `--fail-on` condition holds.
    static func failOn(_ options: JobOptions, _ report: RunReport) throws {
        var failed = false
        for condition in try options.failOn {
            switch condition {
            case .conflicts where report.conflicts.count > 0:
                Console.error(.error(at: nil, CLIMessage.failOn("conflicts", report.conflicts.count)))
                failed = true
            case .rejected where report.totals.rejected > 0:
                Console.error(.error(at: nil, CLIMessage.failOn("rejected", report.totals.rejected)))
                failed = true
            case .changesOver(let limit):
                guard let changes = report.changes, changes.changedPercent > limit else { continue }
                Console.error(.error(at: nil, CLIMessage.changesOver(limit, changes)))
                failed = true
            default:
                continue
            }
        }
        if failed { throw ExitCode(ExitStatus.conditionFound) }
    }

    static func timings(_ phases: [Phase]) -> String {
        "timings: " + phases.map {
            "\($0.name) \(MarkdownReport.fixed($0.seconds, 2)) s (peak \($0.peakMB) MB)"
        }.joined(separator: ", ")
    }

    static func summary(_ report: RunReport) -> String {
        let totals = report.totals
        let links = Rule.allCases.map { "\($0.rawValue) \(report.linksByRule[$0.rawValue] ?? 0)" }.joined(separator: ", ")
        let ratio = (totals.mergeRatio * 100).rounded() / 100
        var lines = [
            "\(totals.read) records read: \(totals.accepted) accepted, \(totals.rejected) rejected",
            "\(totals.accountsBefore) accounts -> \(totals.usersAfter) users (merge ratio \(ratio))",
            "links: \(links); conflicts: \(report.conflicts.count)",
        ]
        if let changes = report.changes {
            lines.append("against the earlier output (\(changes.earlierUsers) users): \(changes.new) new, "
                         + "\(changes.kept) kept, \(changes.mergedCount) merged (\(changes.aliased) ids now aliases), "
                         + "\(changes.splitCount) split, \(changes.goneCount) gone")
        }
        return lines.joined(separator: "\n")
    }
}

enum CLIMessage {
    static func notFound(_ key: String, _ database: String) -> String { "no user in '\(database)' holds '\(key)'" }
    static func failOn(_ condition: String, _ count: Int) -> String { "--fail-on \(condition): \(count) found" }
    static func changesOver(_ limit: Double, _ changes: Changes) -> String {
        "--fail-on changes-over \(limit): \(MarkdownReport.fixed(changes.changedPercent, 2)) % of \(changes.earlierUsers) "
            + "earlier users were merged away, split or gone"
    }
}
