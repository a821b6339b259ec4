import ArgumentParser
import WXMergeCore
import WXMergeReport
import WXMergeRun

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score a merged database against a truth file: pairwise precision, recall, F1 and the recall ceiling."
    )

    @Option(help: ArgumentHelp("The truth: a CSV with the header file,index,person (as generated jobs have).", valueName: "CSV"))
    var truth: String

    @Option(name: .customLong("database"), help: ArgumentHelp("The database to score (default: the job's).", valueName: "DB"))
    var database: String?

    @Argument(help: "The job file, whose rules decide the ceiling.")
    var job = JobOptions.defaultJob

    func run() throws {
        try ExitStatus.reporting {
            let score = try Score(jobPath: job, database: database, truthPath: truth).compute()
            print("""
                records scored: \(score.records)
                true pairs: \(score.truePairs), merged pairs: \(score.predictedPairs), correct: \(score.correctPairs)
                precision \(MarkdownReport.fixed(score.precision, 4))  recall \(MarkdownReport.fixed(score.recall, 4))  F1 \(MarkdownReport.fixed(score.f1, 4))  recall ceiling \(MarkdownReport.fixed(score.ceiling, 4))
                """)
        }
    }
}
