import ArgumentParser
import WXMergeCore

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

/// Turns a pipeline's outcome into output and an exit code, as `run` and `check` share.
enum Outcomes {
    static func execute(_ options: JobOptions, writes: Bool) throws {
        try finish(options) {
            let outcome = try Pipeline(options: options, writes: writes).execute()
            if options.timings { Console.printError(outcome.timings.description) }
            if !options.quiet {
                let outputs = ([outcome.databasePath] + outcome.reportPaths).joined(separator: ", ")
                print(summary(outcome.report))
                print(writes ? "wrote \(outputs)" : "nothing written (a run would write \(outputs))")
            }
            return outcome.report
        }
    }

    static func finish(_ options: JobOptions, _ body: () throws -> RunReport) throws {
        let report: RunReport
        do {
            report = try body()
        } catch let failure as RunFailure {
            for diagnostic in failure.diagnostics { Console.error(diagnostic) }
            throw ExitCode(failure.exitCode)
        }
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
        if failed { throw ExitCode(1) }
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
