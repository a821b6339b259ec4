import ArgumentParser

@main
struct WXMerge: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "wxmerge",
        abstract: "Merge the user tables of a company's WeChat apps into one account system.",
        version: version,
        subcommands: [RunCommand.self, CheckCommand.self, ExplainCommand.self, GenerateCommand.self, ScoreCommand.self]
    )
}
