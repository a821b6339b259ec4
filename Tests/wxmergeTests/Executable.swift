import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `wxmerge` as a user would, in a folder of its own.
struct Executable {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let url = built("wxmerge")

    /// `wxmerge` as built for the tests: it stops (SIGSTOP) at the checkpoint of a run
    /// that `WXMERGE_TEST_STOP_AT` names. The shipped `wxmerge` has no such hook.
    static let stopping = built("StoppingWXMerge")

    private static func built(_ name: String) -> URL {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: besideTests.path) { return besideTests }
        return packageRoot.appendingPathComponent(".build/debug/" + name)
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `tool` (by default `wxmerge`) in `folder` and waits for it. Spawned with
    /// posix_spawn, its output going to files: Foundation's `Process` leaks a little
    /// memory each run, which the leak checker would blame on the tests.
    static func run(_ arguments: [String], in folder: String, tool: String? = nil) throws -> Output {
        try start(arguments, in: folder, tool: tool).wait()
    }

    /// Starts `tool` (by default `wxmerge`) in `folder`; `wait()` gives its outcome.
    /// - Parameter environment: variables added to the test's own.
    static func start(_ arguments: [String], in folder: String, tool: String? = nil,
                      environment: [String: String] = [:]) throws -> Started {
        let path = tool ?? url.path
        let outputs = NSTemporaryDirectory() + "wxmerge-output-" + UUID().uuidString
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputs + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, outputs + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // The shell goes into the folder, then becomes the tool (the same process).
        let argv = (["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", folder, path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        var variables = ProcessInfo.processInfo.environment
        for (name, value) in environment { variables[name] = value }
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        let code = posix_spawn(&pid, "/bin/sh", &actions, nil, argv, envp)
        guard code == 0 else { throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EINVAL) }
        return Started(pid: pid, outputs: outputs)
    }

    /// A spawned run, until it is waited for.
    struct Started {
        let pid: pid_t
        let outputs: String

        func wait() throws -> Output {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            defer {
                unlink(outputs + ".out")
                unlink(outputs + ".err")
            }
            let stdout = Self.bytes(outputs + ".out")
            let stderr = Self.bytes(outputs + ".err")
            return Output(status: status & 0x7f == 0 ? (status >> 8) & 0xff : -1,
                          stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
        }

        /// A file's bytes, read with stdio: FileManager's `contents(atPath:)` leaks its
        /// buffer for an empty file.
        private static func bytes(_ path: String) -> [UInt8] {
            guard let file = fopen(path, "re") else { return [] }
            defer { fclose(file) }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = fread(&buffer, 1, buffer.count, file)
                if count == 0 { return bytes }
                bytes += buffer[..<count]
            }
        }
    }
}

/// A copy of an example job in a temporary folder.
final class ExampleCopy {
    let folder: String

    init(_ name: String = "quickstart") throws {
        folder = NSTemporaryDirectory() + "wxmerge-e2e-" + UUID().uuidString
        let source = Executable.packageRoot.appendingPathComponent("examples/" + name).path
        try FileManager.default.copyItem(atPath: source, toPath: folder)
        try? FileManager.default.removeItem(atPath: folder + "/out")
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    func run(_ arguments: String...) throws -> Executable.Output {
        try Executable.run(arguments, in: folder)
    }

    func read(_ path: String) throws -> String {
        try String(contentsOfFile: folder + "/" + path, encoding: .utf8)
    }

    func write(_ path: String, _ text: String) throws {
        try text.write(toFile: folder + "/" + path, atomically: true, encoding: .utf8)
    }

    func bytes(_ path: String) -> Data? {
        FileManager.default.contents(atPath: folder + "/" + path)
    }

    /// Every table but `runs` as sorted text lines, `dropping` columns by name.
    func tables(_ database: String = "out/merged.db", dropping: Set<String> = []) throws -> String {
        let queue = try DatabaseQueue(path: folder + "/" + database)
        return try queue.read { db in
            var lines: [String] = []
            for table in ["users", "records", "links", "conflicts", "suggestions", "rejected", "survivors", "user_aliases"] {
                lines.append("[\(table)]")
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM \(table)")
                lines += rows.map { row in
                    row.columnNames.filter { !dropping.contains($0) }.map { column in
                        let value = row[column] as DatabaseValue
                        return "\(column)=\(value.isNull ? "NULL" : value.description)"
                    }.joined(separator: " ")
                }.sorted()
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }

    /// report.md without the lines that state the run's time.
    func markdownReport() throws -> String {
        try read("out/report.md").split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("- Started:") && !$0.hasPrefix("- Finished:") }
            .joined(separator: "\n")
    }

    /// report.json without its time fields, keys sorted.
    func jsonReport() throws -> String {
        var object = try JSONSerialization.jsonObject(with: Data(read("out/report.json").utf8)) as! [String: Any]
        for key in ["started_at", "finished_at", "duration_seconds"] { object.removeValue(forKey: key) }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
