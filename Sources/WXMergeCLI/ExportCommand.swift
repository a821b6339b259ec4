public import ArgumentParser
import WXMergeCore
public import WXMergeExport
import WXMergeRun

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the merged users for an identity provider: JSON lines, CSV, Keycloak or Authing.",
        discussion: """
            Every format holds each user's id, surviving profile and every WeChat identity \
            (appid, app type, openid, unionid, platform). Keycloak and Authing files log users \
            in by one identity: the unionid of --platform, or the openid of --appid; users \
            without it are counted and listed on stderr. Nothing is masked: the file is the \
            data itself, and is created readable by its owner only.
            """
    )

    @Option(help: ArgumentHelp("jsonl, csv, keycloak or authing.", valueName: "FORMAT"))
    var format: ExportFormat

    @Option(name: .customLong("database"), help: ArgumentHelp("The output: a database file or a postgresql:// URI (default: the one of ./wxmerge.yaml).", valueName: "DB"))
    var database: String?

    @Option(help: ArgumentHelp("The PostgreSQL schema that holds the output (default: the job's output.schema, or wxmerge).", valueName: "NAME"))
    var schema: String?

    @Option(help: ArgumentHelp("The file to write, or - for standard output (default: users.jsonl, users.csv, keycloak-users.json or authing-users.json).", valueName: "FILE"))
    var out: String?

    @Option(help: ArgumentHelp("keycloak, authing: identify users by their unionid of this platform.", valueName: "ID"))
    var platform: String?

    @Option(help: ArgumentHelp("keycloak: identify users by their openid of this app (without --platform); authing: the openid to carry.", valueName: "APPID"))
    var appid: String?

    @Option(help: ArgumentHelp("keycloak: the alias of the WeChat identity provider in the realm.", valueName: "ALIAS"))
    var idpAlias = "wechat"

    func validate() throws {
        if format.needsIdentity, platform == nil, appid == nil {
            throw ValidationError("--format \(format.rawValue) needs --platform ID or --appid APPID: the identity users log in with")
        }
        if !format.needsIdentity, platform != nil || appid != nil {
            throw ValidationError("--platform and --appid choose the identity of keycloak and authing exports, not of \(format.rawValue)")
        }
    }

    var defaultFile: String {
        switch format {
        case .jsonl, .csv: "users." + format.fileExtension
        case .keycloak, .authing: format.rawValue + "-users.json"
        }
    }

    func run() throws {
        try ExitStatus.reporting {
            let (path, schema) = try ExplainCommand.output(database: database, schema: schema, command: "export")
            let file = out ?? defaultFile
            let options = ExportOptions(format: format, platform: platform, appid: appid, idpAlias: idpAlias)
            let summary = try readingOutput(path, schema: schema) { output in
                try Exporter(options: options).export(from: output, to: ExportSink(path: file == "-" ? nil : file))
            }
            if summary.uncoveredCount > 0 {
                let identity = platform.map { "no unionid of platform '\($0)'" } ?? "no openid of app '\(appid ?? "")'"
                let more = summary.uncoveredCount - summary.uncovered.count
                Console.error(.init(.warning, at: nil, """
                    \(summary.uncoveredCount) of \(summary.users) users have \(identity): exported without it \
                    (\(summary.uncovered.joined(separator: ", "))\(more > 0 ? ", and \(more) more" : ""))
                    """))
            }
            Console.printError("wrote \(summary.users) users (\(summary.identities) identities) to \(file == "-" ? "standard output" : file)")
        }
    }
}

extension ExportFormat: ExpressibleByArgument {}
