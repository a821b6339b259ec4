import ArgumentParser
import WXMergeCore
import WXMergeSample

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a realistic synthetic job: DIR/wxmerge.yaml, DIR/exports/*.yaml and DIR/truth.csv."
    )

    @Option(help: "How many people.")
    var users: Int

    @Option(help: "The seed: the same seed gives the same bytes.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("The folder to write.", valueName: "DIR"))
    var out = "wxmerge-sample"

    @Flag(help: "Replace what generate writes in a folder that is not empty.")
    var force = false

    func validate() throws {
        guard users >= 0 else { throw ValidationError("--users must not be negative") }
    }

    func run() throws {
        try ExitStatus.reporting {
            try SampleJob(users: users, seed: seed).write(to: out, replacing: force)
        }
        print("wrote \(out)/wxmerge.yaml, \(out)/exports/*.yaml and \(out)/truth.csv (\(users) people, seed \(seed))")
        print("next: wxmerge run \(out)/wxmerge.yaml")
    }
}
