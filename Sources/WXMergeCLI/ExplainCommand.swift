import ArgumentParser
import WXMergeCore
import WXMergeReport
import WXMergeRun
import WXMergeStore
import WXMergeYAML

struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show a user: its fields and where they came from, its records, the links that joined them."
    )

    @Option(name: .customLong("database"), help: ArgumentHelp("The output: a database file or a postgresql:// URI (default: the one of ./wxmerge.yaml).", valueName: "DB"))
    var database: String?

    @Option(help: ArgumentHelp("The PostgreSQL schema that holds the output (default: the job's output.schema, or wxmerge).", valueName: "NAME"))
    var schema: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @Flag(help: "Show personal values (phones, emails) unmasked.")
    var showValues = false

    @Argument(help: "A user id, appid:openid, or a unionid.")
    var key: String

    func run() throws {
        try ExitStatus.reporting {
            let (path, schema) = try Self.output(database: database, schema: schema, command: "explain")
            let reader = ExplanationReader(privacy: Privacy(showsValues: showValues))
            let explanation = try readingOutput(path, schema: schema) { try reader.explain(key, in: $0) }
            guard !explanation.users.isEmpty else {
                Console.error(.error(at: nil, CLIMessage.notFound(key, path)))
                throw ExitCode(ExitStatus.conditionFound)
            }
            print(json ? try ExplanationText.json(explanation) : ExplanationText.render(explanation), terminator: "")
        }
    }

    /// The output `--database` and `--schema` name, else that of ./wxmerge.yaml (its
    /// database and its `output.schema`); when there is no job file, the error says to
    /// give --database.
    static func output(database: String?, schema: String?, command: String) throws -> (database: String, schema: String) {
        if let database { return (database, schema ?? "wxmerge") }
        do {
            let job = try JobFileReader().read(path: JobOptions.defaultJob)
            return (job.databasePath, schema ?? job.schema)
        } catch var error as InputError where error.kind == .missingFile {
            error.diagnostics.append(.init(.note, at: nil,
                                           "\(command) reads the database of ./wxmerge.yaml; elsewhere, give --database DB"))
            throw error
        }
    }
}
