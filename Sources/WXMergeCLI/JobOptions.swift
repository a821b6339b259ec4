import ArgumentParser

/// The options `run` and `check` share (docs/reference.md, "Exit codes").
struct JobOptions: ParsableArguments {
    /// A `--fail-on` condition.
    enum FailOn: Equatable {
        case conflicts
        case rejected
        /// More than this percentage of earlier users merged away, split or gone.
        case changesOver(Double)
    }

    @Argument(help: "The job file.")
    var job = JobOptions.defaultJob

    @Option(name: [.customLong("output"), .customLong("database")],
            help: ArgumentHelp("The output: a database file (relative to the current folder) or a postgresql:// URI, instead of the job file's.", valueName: "DB"))
    var database: String?

    @Option(name: .customLong("report"), help: ArgumentHelp("The report path without extension, instead of the job file's.", valueName: "PREFIX"))
    var report: String?

    @Flag(help: "Stop (exit 65, nothing written) when any record is rejected.")
    var strict = false

    @Option(name: .customLong("fail-on"), parsing: .upToNextOption,
            help: ArgumentHelp("Exit 1 after the run when a condition holds: conflicts, rejected, or changes-over PCT (repeatable).",
                               valueName: "condition"))
    var failOnWords: [String] = []

    /// The `--fail-on` conditions: `conflicts`, `rejected`, `changes-over PCT` (or `changes-over=PCT`).
    var failOn: [FailOn] {
        get throws {
            var conditions: [FailOn] = []
            var words = failOnWords[...]
            while let word = words.popFirst() {
                switch word {
                case "conflicts": conditions.append(.conflicts)
                case "rejected": conditions.append(.rejected)
                case "changes-over":
                    guard let text = words.popFirst(), let percent = Double(text), percent >= 0 else {
                        throw ValidationError("--fail-on changes-over needs a percentage, as in '--fail-on changes-over 5'")
                    }
                    conditions.append(.changesOver(percent))
                case let other where other.hasPrefix("changes-over="):
                    guard let percent = Double(other.dropFirst("changes-over=".count)), percent >= 0 else {
                        throw ValidationError("--fail-on changes-over needs a percentage, as in '--fail-on changes-over 5'")
                    }
                    conditions.append(.changesOver(percent))
                default:
                    throw ValidationError("unknown --fail-on condition '\(word)'; expected conflicts, rejected or changes-over PCT")
                }
            }
            return conditions
        }
    }

    /// `--fail-on` takes the words up to the next option, so in `run --fail-on
    /// conflicts JOB` it takes the job file too: give that word back to JOB.
    mutating func validate() throws {
        if let last = failOnWords.last, job == Self.defaultJob, failOnWords.count > 1,
           !["conflicts", "rejected", "changes-over"].contains(last), !last.hasPrefix("changes-over="),
           Double(last) == nil || failOnWords[failOnWords.count - 2] != "changes-over" {
            job = last
            failOnWords.removeLast()
        }
        _ = try failOn
    }

    static let defaultJob = "wxmerge.yaml"

    @Option(help: ArgumentHelp("Wait up to this long for another run on the same output to finish, instead of exiting 75 at once.",
                               valueName: "SECONDS"))
    var wait: Double = 0

    @Flag(help: "No progress line and no summary; errors are still printed.")
    var quiet = false

    @Flag(help: "Print the wall time and peak memory of each phase on stderr: parse, order, write, report, publish (check: parse, order, reconcile).")
    var timings = false

    @Flag(help: "Show personal values (phones, emails, raw rejected records) unmasked.")
    var showValues = false
}
