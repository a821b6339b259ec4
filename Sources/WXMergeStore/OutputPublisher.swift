internal import GRDB
import WXMergeCore
#if canImport(Glibc)
import Glibc
#endif

/// Puts a run's outputs in place only when all of them are complete (SPEC §4.1).
///
/// The database and the reports are written to temporary files beside their targets
/// (`.merged.db.tmp-PID`). When all are complete, a journal naming each rename is put
/// in place atomically (`.merged.db.publishing-PID`), the files are renamed over their
/// targets, and the journal is removed. A failed run removes its temporary files. The
/// next run after a kill finishes the renames of a journal it finds (all of that run's
/// files were complete) and removes every other leftover, knowing them by the dead
/// process id in their names. So the earlier output stays as it was until the journal
/// exists, and a set of outputs is never left half old and half new.
public struct OutputPublisher {
    public let databasePath: String
    /// Report files by extension (`md`, `json`, `html`).
    public let reportPaths: [String]
    private let pid = getpid()

    public init(databasePath: String, reportPrefix: String, reportExtensions: [String] = ["md", "json", "html"]) {
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
        let (folder, name) = Self.split(databasePath)
        try Self.makeFolder(folder)
        for (journal, pid) in Self.leftovers(in: folder, prefix: "." + name + ".publishing-") {
            if !Self.isRunning(pid) { Self.finishJournal(folder + "/" + journal) }
        }
        for target in [databasePath] + reportPaths {
            let (folder, name) = Self.split(target)
            try Self.makeFolder(folder)
            for prefix in ["." + name + ".tmp-", "." + name + ".publishing-"] {
                for (leftover, pid) in Self.leftovers(in: folder, prefix: prefix) where !Self.isRunning(pid) {
                    unlink(folder + "/" + leftover)
                }
            }
        }
    }

    private var journalPath: String {
        let (folder, name) = Self.split(databasePath)
        return folder + "/." + name + ".publishing-\(pid)"
    }

    /// Writes `text` to the temporary file of `target`.
    public func writeTemporary(_ text: String, for target: String) throws {
        try Self.write(text, to: temporaryPath(for: target))
    }

    private static func write(_ text: String, to path: String) throws {
        let fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreMessage.failure(StoreMessage.cannotCreate(path, errno)) }
        defer { close(fd) }
        var bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            guard n > 0 else { throw StoreMessage.failure(StoreMessage.cannotWrite(path, String(cString: strerror(errno)))) }
            written += n
        }
        bytes.removeAll()
    }

    /// Renames every temporary file over its target: reports first, the database last.
    public func publish(pausingAt checkpoint: (String) -> Void = { _ in }) throws {
        let renames = (reportPaths + [databasePath]).map { (temporaryPath(for: $0), $0) }
        let journal = renames.map { "\($0.0)\t\($0.1)\n" }.joined()
        let part = journalPath + ".part"
        try Self.write(journal, to: part)
        guard rename(part, journalPath) == 0 else {
            unlink(part)
            throw StoreMessage.failure(StoreMessage.cannotWrite(journalPath, String(cString: strerror(errno))))
        }
        checkpoint("journal-written")
        for (index, (temporary, target)) in renames.enumerated() {
            if index == 1 { checkpoint("publishing") }
            guard rename(temporary, target) == 0 else {
                throw StoreMessage.failure(StoreMessage.cannotWrite(target, String(cString: strerror(errno))))
            }
        }
        unlink(journalPath)
    }

    /// Finishes the renames a killed run's journal lists, then removes the journal.
    private static func finishJournal(_ path: String) {
        guard let text = try? readText(path) else { return }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 2 else { continue }
            let temporary = String(fields[0])
            if access(temporary, F_OK) == 0 { rename(temporary, String(fields[1])) }
        }
        unlink(path)
    }

    private static func readText(_ path: String) throws -> String {
        guard let file = fopen(path, "r") else { throw StoreMessage.failure(path) }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Removes this run's temporary files (after a failure).
    public func discard() {
        for target in [databasePath] + reportPaths {
            unlink(temporaryPath(for: target))
        }
        unlink(SQLiteWriter.partPath(for: temporaryDatabasePath))
        unlink(journalPath + ".part")
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

    /// Files in `folder` named `prefix` + a process id (and maybe `.part`), with that id.
    private static func leftovers(in folder: String, prefix: String) -> [(name: String, pid: pid_t)] {
        guard let directory = opendir(folder) else { return [] }
        defer { closedir(directory) }
        var found: [(String, pid_t)] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            guard name.hasPrefix(prefix) else { continue }
            var rest = name.dropFirst(prefix.count)
            if rest.hasSuffix(".part") { rest = rest.dropLast(5) }
            if let pid = pid_t(rest) { found.append((name, pid)) }
        }
        return found.sorted { $0.0 < $1.0 }
    }

    private static func isRunning(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno != ESRCH
    }
}
