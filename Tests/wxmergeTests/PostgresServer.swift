import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL cluster, started once for the test process: `initdb` into a
/// temporary folder (as the `postgres` user when the tests run as root: initdb refuses
/// root), listening on a Unix socket in that folder only, with a SCRAM password; stopped
/// and removed when the process exits. Each test takes a database of its own
/// (`database()`). A server that cannot start fails every test that asks for it.
final class PostgresServer: Sendable {
    static let shared = Result { try PostgresServer() }

    /// The cluster's folder, which holds the socket.
    let folder: String
    let password = "pw-" + UUID().uuidString
    let user = "wxmerge_test"
    private let bin: String
    private static let counter = Counter()

    private init() throws {
        guard let bin = try Self.serverBin() else {
            throw Failure("no PostgreSQL server: /usr/lib/postgresql/*/bin/initdb is missing (the README's test command installs postgresql)")
        }
        self.bin = bin
        folder = NSTemporaryDirectory() + "wxmerge-pg-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        try password.write(toFile: folder + "/password", atomically: true, encoding: .utf8)
        var prefix = ""
        if geteuid() == 0 {
            guard let owner = getpwnam("postgres") else { throw Failure("no 'postgres' user to run the server as") }
            chown(folder, owner.pointee.pw_uid, owner.pointee.pw_gid)
            chown(folder + "/password", owner.pointee.pw_uid, owner.pointee.pw_gid)
            prefix = "runuser -u postgres -- "
        }
        chmod(folder, 0o700)
        try Self.shell("""
            \(prefix)\(bin)/initdb -D \(folder)/data -U \(user) --auth=scram-sha-256 --pwfile=\(folder)/password \
            -E UTF8 --locale=C.UTF-8 >\(folder)/initdb.log 2>&1 || { cat \(folder)/initdb.log >&2; exit 1; }
            \(prefix)\(bin)/pg_ctl -D \(folder)/data -l \(folder)/server.log -w \
            -o "-k \(folder) -c listen_addresses='' -c fsync=off" start >/dev/null || { cat \(folder)/server.log >&2; exit 1; }
            """)
        PostgresServerStop.command = "\(prefix)\(bin)/pg_ctl -D \(folder)/data -m immediate stop >/dev/null 2>&1; rm -rf \(folder)"
        atexit { _ = PostgresServerStop.command.map { system($0) } }
    }

    /// The newest installed server's programs.
    private static func serverBin() throws -> String? {
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        return versions.compactMap(Int.init).sorted().last.map { "/usr/lib/postgresql/\($0)/bin" }
            .flatMap { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") ? $0 : nil }
    }

    /// A new, empty database; its URI (without the password, which `environment` gives).
    func database() throws -> String {
        let name = "t\(getpid())_\(Self.counter.next())"
        try query("postgres", "CREATE DATABASE \(name)")
        return uri(name)
    }

    func uri(_ database: String) -> String {
        "postgresql:///\(database)?host=\(folder)&user=\(user)"
    }

    /// What a run needs to connect: the password, as a user gives it.
    var environment: [String: String] { ["PGPASSWORD": password] }

    /// Runs `sql` in `database` with psql and returns its rows, fields separated by
    /// U+001F and rows by U+001E, NULL as `\N`.
    @discardableResult
    func query(_ database: String, _ sql: String) throws -> [[String?]] {
        let name = database.hasPrefix("postgresql:") ? String(database.split(separator: "?")[0].dropFirst(14)) : database
        let file = folder + "/query-" + UUID().uuidString + ".sql"
        try sql.write(toFile: file, atomically: true, encoding: .utf8)
        defer { unlink(file) }
        let output = try Self.shell("""
            PGPASSWORD='\(password)' \(bin)/psql -X -q -v ON_ERROR_STOP=1 -A -t -F "$(printf '\\037')" -R "$(printf '\\036')" \
            -P null='\\N' -h \(folder) -U \(user) -d \(name) -f \(file)
            """)
        let trimmed = output.hasSuffix("\n") ? String(output.dropLast()) : output
        return trimmed.split(separator: "\u{1E}", omittingEmptySubsequences: true).map { row in
            row.split(separator: "\u{1F}", omittingEmptySubsequences: false).map { $0 == "\\N" ? nil : String($0) }
        }
    }

    @discardableResult
    private static func shell(_ command: String) throws -> String {
        let output = try Executable.run(["-c", command], in: "/", tool: "/bin/sh")
        guard output.status == 0 else { throw Failure("`\(command.prefix(60))…` failed: \(output.stderr)") }
        return output.stdout
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    final class Counter: Sendable {
        private let value = Mutex(0)
        func next() -> Int { value.withLock { $0 += 1; return $0 } }
    }
}

/// What stops the server when the test process exits (`atexit` takes no context).
enum PostgresServerStop {
    nonisolated(unsafe) static var command: String?
}
