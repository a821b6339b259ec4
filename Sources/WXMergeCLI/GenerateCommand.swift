import ArgumentParser
import Foundation
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
        let manager = FileManager.default
        let existing = (try? manager.contentsOfDirectory(atPath: out)) ?? []
        if !existing.isEmpty {
            guard force else {
                return try ExitStatus.reporting { throw CommandError(ExitStatus.outputNotWritable, CLIMessage.notEmpty(out)) }
            }
            for name in ["wxmerge.yaml", "exports", "truth.csv"] { try? manager.removeItem(atPath: out + "/" + name) }
        }
        try ExitStatus.reporting {
            do {
                try manager.createDirectory(atPath: out, withIntermediateDirectories: true)
                try SampleJob(users: users, seed: seed).write(to: out)
            } catch {
                throw CommandError(ExitStatus.outputNotWritable, CLIMessage.cannotGenerate(out, "\(error)"))
            }
        }
    }
}
