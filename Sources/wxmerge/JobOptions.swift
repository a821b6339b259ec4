import ArgumentParser

/// The options `run` and `check` share (SPEC §5).
struct JobOptions: ParsableArguments {
    enum FailOn: String, ExpressibleByArgument, CaseIterable {
        case conflicts, rejected
    }

    @Argument(help: "The job file.")
    var job = "wxmerge.yaml"

    @Option(name: .customLong("output"), help: ArgumentHelp("The output database, instead of the job file's (relative to the current folder).", valueName: "DB"))
    var database: String?

    @Option(name: .customLong("report"), help: ArgumentHelp("The report path without extension, instead of the job file's.", valueName: "PREFIX"))
    var report: String?

    @Flag(help: "Stop (exit 65, nothing written) when any record is rejected.")
    var strict = false

    @Option(name: .customLong("fail-on"), help: "Exit 1 when conflicts or rejected records exist (repeatable).")
    var failOn: [FailOn] = []

    @Flag(help: "No progress line and no summary; errors are still printed.")
    var quiet = false

    @Flag(help: "Print the wall time of each phase (parse, reconcile, report, write, publish) on stderr.")
    var timings = false

    @Flag(help: "Show personal values (phones, emails, raw rejected records) unmasked.")
    var showValues = false
}
