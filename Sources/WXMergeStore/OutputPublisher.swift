internal import GRDB
import WXMergeCore
#if canImport(Glibc)
import Glibc
#endif

/// Puts a run's outputs in place only when all of them are complete (SPEC §4.1).
///
/// The database and the reports are written to temporary files beside their targets
/// (`.merged.db.tmp-PID`), which are renamed over the targets at the end. A failed run
/// removes its temporary files; a killed run's are removed by the next run, which
/// knows them by the dead process id in their names. The earlier output is never
/// touched before the renames.
public struct OutputPublisher {
    public let databasePath: String
    /// Report files by extension (`md`, `json`).
    public let reportPaths: [String]
    private let pid = getpid()

    public init(databasePath: String, reportPrefix: String, reportExtensions: [String] = ["md", "json"]) {
        self.databasePath = databasePath
        reportPaths = reportExtensions.map { reportPrefix + "." + $0 }
    }

    public var temporaryDatabasePath: String { Self.temporaryPath(for: databasePath, pid: pid) }

    public func temporaryPath(for target: String) -> String { Self.temporaryPath(for: target, pid: pid) }

    static func temporaryPath(for target: String, pid: pid_t) -> String {
        let (folder, name) = split(target)
        return folder + "/." + name + ".tmp-\(pid)"
    }

    static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }

    /// The folder the database goes in.
    public var databaseFolder: String { Self.split(databasePath).folder }

    /// Creates the output folders and removes what killed runs left behind.
    /// - Throws: `RunFailure` 73 when a folder cannot be made.
    public func prepare() throws {
        for target in [databasePath] + reportPaths {
            let (folder, name) = Self.split(target)
            try Self.makeFolder(folder)
            Self.removeLeftovers(in: folder, of: name)
        }
    }

    /// Refuses to replace a file that is not a wxmerge database (exit 73).
    public func checkEarlierOutput() throws {
        guard access(databasePath, F_OK) == 0 else { return }
        var configuration = Configuration()
        configuration.readonly = true
        let version = try? { () throws -> Int? in
            let queue = try DatabaseQueue(path: databasePath, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db -> Int? in
                guard try db.tableExists("runs"), try db.tableExists("records") else { return nil }
                return try Int.fetchOne(db, sql: "PRAGMA user_version")
            }
        }() ?? nil
        guard let version else {
            throw StoreMessage.failure(StoreMessage.notAWXMergeDatabase(databasePath))
        }
        guard version == Schema.version else {
            throw StoreMessage.failure(StoreMessage.unsupportedSchema(databasePath, version))
        }
    }

    /// Writes `text` to the temporary file of `target`.
    public func writeTemporary(_ text: String, for target: String) throws {
        let path = temporaryPath(for: target)
        let fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreMessage.failure(StoreMessage.cannotCreate(path, errno)) }
        defer { close(fd) }
        var bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            guard n > 0 else { throw StoreMessage.failure(StoreMessage.cannotWrite(path, String(cString: strerror(errno)))) }
            written += n
        }
        bytes.removeAll()
    }

    /// Renames every temporary file over its target: reports first, the database last.
    public func publish() throws {
        for target in reportPaths + [databasePath] {
            let temporary = temporaryPath(for: target)
            guard rename(temporary, target) == 0 else {
                throw StoreMessage.failure(StoreMessage.cannotWrite(target, String(cString: strerror(errno))))
            }
        }
    }

    /// Removes this run's temporary files (after a failure).
    public func discard() {
        for target in [databasePath] + reportPaths {
            unlink(temporaryPath(for: target))
        }
    }

    private static func makeFolder(_ folder: String) throws {
        var path = folder.hasPrefix("/") ? "" : "."
        for part in folder.split(separator: "/") {
            path += "/" + part
            if mkdir(path, 0o755) != 0, errno != EEXIST {
                throw StoreMessage.failure(StoreMessage.cannotCreate(path, errno))
            }
        }
    }

    /// Removes `.NAME.tmp-PID` files whose process is gone.
    private static func removeLeftovers(in folder: String, of name: String) {
        guard let directory = opendir(folder) else { return }
        defer { closedir(directory) }
        let prefix = "." + name + ".tmp-"
        while let entry = readdir(directory) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            guard entryName.hasPrefix(prefix), let pid = pid_t(entryName.dropFirst(prefix.count)) else { continue }
            if kill(pid, 0) != 0, errno == ESRCH {
                unlink(folder + "/" + entryName)
            }
        }
    }
}
