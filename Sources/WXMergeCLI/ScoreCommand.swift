import ArgumentParser
import Foundation
import WXMergeCore
import WXMergeReport
import WXMergeRun
import WXMergeStore
import WXMergeYAML

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
            let job = try JobFileReader().read(path: job)
            let path = database ?? job.databasePath
            let items = try ScoreReader(rules: job.rules).items(database: path, truth: try Self.readTruth(truth))
            let score = PairwiseScore(items)
            print("""
                records scored: \(score.records)
                true pairs: \(score.truePairs), merged pairs: \(score.predictedPairs), correct: \(score.correctPairs)
                precision \(MarkdownReport.fixed(score.precision, 4))  recall \(MarkdownReport.fixed(score.recall, 4))  F1 \(MarkdownReport.fixed(score.f1, 4))  recall ceiling \(MarkdownReport.fixed(score.ceiling, 4))
                """)
        }
    }

    /// `file,index` -> person number.
    static func readTruth(_ path: String) throws -> [String: Int32] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(.missingFile, [.error(at: nil, CLIMessage.cannotReadTruth(path))])
        }
        var people: [Substring: Int32] = [:]
        var truth: [String: Int32] = [:]
        let text = String(decoding: data, as: UTF8.self)
        for (number, line) in text.split(separator: "\n").enumerated() where number > 0 {
            guard let comma = line.lastIndex(of: ",") else {
                throw InputError(.invalidData, [.error(at: SourceLocation(file: path, line: number + 1, column: 1), CLIMessage.truthLine)])
            }
            let person = line[line.index(after: comma)...]
            let id = people[person] ?? Int32(people.count)
            people[person] = id
            truth[String(line[..<comma])] = id
        }
        return truth
    }
}
