import WXMergeCore
#if canImport(Glibc)
import Glibc
#endif

/// Puts a run's outputs in place as one set, one run at a time (docs/reference.md, "Publishing").
///
/// - `begin(wait:)` takes the output's lock (`OutputLock`, on the database's folder) and
///   then finishes or removes whatever an earlier run that was killed left there: while
///   the lock is held, every leftover is some other run's, and that run is over.
/// - The database and the reports are written to temporary files beside their targets
///   (`.NAME.tmp`, created exclusively and owner-only, never through a symlink).
/// - `publish()` flushes them to disk, keeps a hard link to each earlier file
///   (`.NAME.prev`), writes a journal naming every rename (`.DB.publishing`, flushed, put
///   in place atomically), renames the files over their targets (the reports first, the
///   database last) and removes the journal and the links.
///
/// So at every moment the set on disk is the earlier one, the new one, or a journal that
/// says how to reach a whole one:
/// - a kill before the journal leaves the earlier set; the next run removes the
///   temporary files;
/// - a kill after it leaves a journal whose files are all complete; the next run (or
///   `check`, which only says so) finishes the renames first of all;
/// - a rename that fails puts back every target already replaced (from its `.prev`
///   link, or removes it where there was none) under a rollback journal
///   (`.DB.rollback`) that the next run carries through if this one is killed doing it,
///   and the run exits 73.
public final class OutputPublisher {
    /// The SQLite database, last of the set; nil when the tables are in a database server
    /// and the set is the reports alone.
    public let databasePath: String?
    /// The file the journal and the lock go beside: the database, or the reports' prefix.
    private let anchor: String
    /// Report files by extension (`md`, `json`, `html`).
    public let reportPaths: [String]
    private var lock: OutputLock?
    /// Report folders this run made, to be removed if it fails.
    private var createdFolders: [String] = []

    /// How a file's or a folder's bytes are flushed to disk: `fsync` unless given (a
    /// test wraps it to see what is flushed when).
    private let flush: (Int32) -> Int32

    public init(databasePath: String?, reportPrefix: String, reportExtensions: [String] = ["md", "json", "html"],
                flush: ((Int32) -> Int32)? = nil) {
        self.flush = flush ?? { fsync($0) }
        self.databasePath = databasePath
        anchor = databasePath ?? reportPrefix
        reportPaths = reportExtensions.map { reportPrefix + "." + $0 }
    }

    private var targets: [String] { reportPaths + (databasePath.map { [$0] } ?? []) }

    public var temporaryDatabasePath: String { temporaryPath(for: databasePath!) }

    public func temporaryPath(for target: String) -> String { Self.sibling(of: target, suffix: ".tmp") }

    private static func backupPath(for target: String) -> String { sibling(of: target, suffix: ".prev") }

    private var journalPath: String { Self.sibling(of: anchor, suffix: ".publishing") }

    private var rollbackPath: String { Self.sibling(of: anchor, suffix: ".rollback") }

    /// `.NAME` + `suffix` in the folder of `path`.
    static func sibling(of path: String, suffix: String) -> String {
        let (folder, name) = split(path)
        return folder + "/." + name + suffix
    }

    static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }

    /// The folder the database goes in, which the lock is on.
    public var databaseFolder: String { Self.split(anchor).folder }

    /// Takes the output's lock, then finishes a publishing that a killed run left half
    /// done and removes every other leftover.
    /// - Parameter wait: seconds to wait for another run's lock.
    /// - Throws: `StoreError`: busy when another run holds the output, cannot write when its folder
    ///   cannot be made or a leftover cannot be finished.
    /// - Parameter tablesPublished: for a set whose tables are in a database server:
    ///   whether the tables a killed run's journal names were published (its reports are
    ///   then put in place; otherwise they are discarded).
    public func begin(wait: Double = 0, tablesPublished: ((String) throws -> Bool)? = nil) throws {
        lock = try OutputLock(folder: databaseFolder, wait: wait)
        try recover(tablesPublished: tablesPublished)
        removeLeftovers()
    }

    /// Removes the journal, the temporary files and the links to earlier files: what is
    /// left of a run once nothing in it is to be finished.
    private func removeLeftovers() {
        unlink(journalPath)
        unlink(journalPath + ".part")
        for target in targets {
            unlink(temporaryPath(for: target))
            unlink(Self.backupPath(for: target))
        }
        if databasePath != nil { unlink(SQLiteWriter.partPath(for: temporaryDatabasePath)) }
    }

    /// Whether a killed run left a publishing for the next run to finish (what `check`
    /// tells, writing nothing).
    public var hasUnfinishedPublishing: Bool {
        access(journalPath, F_OK) == 0 || access(rollbackPath, F_OK) == 0
    }

    /// Writes `text` to the temporary file of `target`, making its folder if needed.
    public func writeTemporary(_ text: String, for target: String) throws {
        createdFolders += try OutputLock.makeFolders(Self.split(target).folder)
        try Self.write(Array(text.utf8), to: temporaryPath(for: target))
    }

    /// Creates `path` (it must not exist; never through a symlink), owner-only, with `bytes`.
    private static func write(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreMessage.failure(StoreMessage.cannotCreate(path, errno)) }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw StoreMessage.failure(StoreMessage.cannotWrite(path, String(cString: strerror(errno)))) }
            written += count
        }
    }

    /// Puts the new set in place, or leaves the earlier one (see the type's comment).
    /// - Parameter checkpoint: called with `journal-written` and `publishing` (after the
    ///   first rename): where the tests stop a run to kill it. What it throws leaves
    ///   publishing where it is, as a kill would.
    /// - Throws: `StoreError` (cannot write) when a file cannot be flushed or renamed; the earlier
    ///   set is then in place again.
    /// - Parameter tables: tables in a database server that belong to the set: their name
    ///   goes into the journal, and `commit` publishes them once the journal is written,
    ///   before the first rename (a run killed before it commits leaves a journal the next
    ///   run discards, one killed after it a journal the next run finishes).
    public func publish(pausingAt checkpoint: (String) throws -> Void = { _ in },
                        tables: (name: String, commit: () throws -> Void)? = nil) throws {
        let renames = targets.map { (temporary: temporaryPath(for: $0), target: $0) }
        for (temporary, _) in renames { try sync(temporary) }
        var entries: [JournalEntry] = []
        for (temporary, target) in renames {
            let backup = Self.backupPath(for: target)
            var info = stat()
            let hasEarlier = lstat(target, &info) == 0 && [S_IFREG, S_IFLNK].contains(info.st_mode & S_IFMT)
            if hasEarlier, link(target, backup) != 0 {
                throw StoreMessage.failure(StoreMessage.cannotWrite(backup, String(cString: strerror(errno))))
            }
            // Absolute in the journal: the next run may start from another folder.
            entries.append(JournalEntry(temporary: Self.absolute(temporary), target: Self.absolute(target),
                                        backup: hasEarlier ? Self.absolute(backup) : nil))
        }
        let folders = Set(renames.map { Self.split($0.target).folder })
        for folder in folders { try syncFolder(folder) }
        try writeJournal(entries, tables: tables?.name, at: journalPath)
        try checkpoint("journal-written")
        if let tables {
            do {
                try tables.commit()
            } catch {
                try? restore(entries)  // nothing renamed yet: the earlier reports stay
                unlink(journalPath)
                throw error
            }
        }
        for (index, entry) in entries.enumerated() {
            if index == 1 { try checkpoint("publishing") }
            guard rename(entry.temporary, entry.target) == 0 else {
                let failure = StoreMessage.failure(StoreMessage.cannotWrite(renames[index].target, String(cString: strerror(errno))))
                try rollBack(entries)
                throw failure
            }
        }
        for folder in folders { try syncFolder(folder) }
        unlink(journalPath)
        try syncFolder(databaseFolder)
        for entry in entries { if let backup = entry.backup { unlink(backup) } }
        createdFolders.removeAll()
        lock?.release(removingCreatedFolders: false)
        lock = nil
    }

    /// Removes this run's temporary files and the folders it made, and lets the next
    /// run in (after a failure).
    /// A rollback that could not be finished is left, with what it needs, to the next run.
    public func discard() {
        if access(rollbackPath, F_OK) != 0 {
            removeLeftovers()
        } else {
            if databasePath != nil { unlink(SQLiteWriter.partPath(for: temporaryDatabasePath)) }
            unlink(journalPath + ".part")
        }
        for folder in createdFolders.reversed() { rmdir(folder) }
        createdFolders.removeAll()
        lock?.release(removingCreatedFolders: true)
        lock = nil
    }

    // MARK: The journal

    /// One rename of a publishing: the new file, its target, and the link to the earlier
    /// file (none when there was no earlier file).
    struct JournalEntry: Equatable {
        var temporary: String
        var target: String
        var backup: String?
    }

    /// Writes the journal whole and flushed, then puts it in place with one rename.
    /// A line `tables<TAB>NAME` comes first when the set has tables in a database server.
    private func writeJournal(_ entries: [JournalEntry], tables: String? = nil, at path: String) throws {
        let part = path + ".part"
        let text = (tables.map { "tables\t\($0)\n" } ?? "")
            + entries.map { "\($0.temporary)\t\($0.target)\t\($0.backup ?? "")\n" }.joined()
        try Self.write(Array(text.utf8), to: part)
        try sync(part)
        guard rename(part, path) == 0 else {
            let code = errno
            unlink(part)
            throw StoreMessage.failure(StoreMessage.cannotWrite(path, String(cString: strerror(code))))
        }
        try syncFolder(databaseFolder)
    }

    /// The tables a journal names (`writeJournal`), if any.
    private static func journalTables(_ path: String) -> String? {
        guard let text = readText(path), text.hasPrefix("tables\t") else { return nil }
        return text.split(separator: "\n").first.map { String($0.dropFirst("tables\t".count)) }
    }

    private static func readJournal(_ path: String) -> [JournalEntry]? {
        guard let text = readText(path) else { return nil }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else { return nil }
            return JournalEntry(temporary: fields[0], target: fields[1], backup: fields[2].isEmpty ? nil : fields[2])
        }
    }

    private static func readText(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Puts the earlier set back: each target from its link to the earlier file, or
    /// removed where there was none. Under a rollback journal, so that a kill in the
    /// middle is carried through by the next run.
    private func rollBack(_ entries: [JournalEntry]) throws {
        guard rename(journalPath, rollbackPath) == 0 else {
            throw StoreMessage.failure(StoreMessage.cannotWrite(rollbackPath, String(cString: strerror(errno))))
        }
        try restore(entries)
        unlink(rollbackPath)
        try syncFolder(databaseFolder)
    }

    private func restore(_ entries: [JournalEntry]) throws {
        for entry in entries {
            if let backup = entry.backup {
                // A target never replaced is the same file as its link: the rename leaves both.
                if access(backup, F_OK) == 0, rename(backup, entry.target) != 0 {
                    throw StoreMessage.failure(StoreMessage.cannotWrite(entry.target, String(cString: strerror(errno))))
                }
                unlink(backup)
            } else if access(entry.temporary, F_OK) != 0 {
                unlink(entry.target)  // it was renamed in: there was no earlier file
            }
            unlink(entry.temporary)
        }
        for folder in Set(entries.map { Self.split($0.target).folder }) { try syncFolder(folder) }
    }

    /// Finishes what a killed run left: a rollback is carried through, a publishing
    /// is finished (all of its files were complete and flushed before its journal was).
    private func recover(tablesPublished: ((String) throws -> Bool)?) throws {
        if let entries = Self.readJournal(rollbackPath) {
            try restore(entries)
            unlink(journalPath)
            unlink(rollbackPath)
        }
        // A journal whose tables were never published: its reports are not the set's.
        if let tables = Self.journalTables(journalPath), let entries = Self.readJournal(journalPath),
           try tablesPublished?(tables) != true {
            try restore(entries)
            unlink(journalPath)
        }
        if let entries = Self.readJournal(journalPath) {
            for entry in entries where access(entry.temporary, F_OK) == 0 {
                guard rename(entry.temporary, entry.target) == 0 else {
                    throw StoreMessage.failure(StoreMessage.cannotWrite(entry.target, String(cString: strerror(errno))))
                }
            }
            for folder in Set(entries.map { Self.split($0.target).folder }) { try syncFolder(folder) }
            unlink(journalPath)
            for entry in entries { if let backup = entry.backup { unlink(backup) } }
        }
        try syncFolder(databaseFolder)
    }

    /// `path` from the root: its folder resolved, its name as it is.
    private static func absolute(_ path: String) -> String {
        let (folder, name) = split(path)
        guard let resolved = realpath(folder, nil) else { return path }
        defer { free(resolved) }
        let root = String(cString: resolved)
        return (root == "/" ? "" : root) + "/" + name
    }

    // MARK: Flushing

    /// Flushes a file's bytes to disk.
    private func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0, flush(fd) == 0 else {
            let code = errno
            if fd >= 0 { close(fd) }
            throw StoreMessage.failure(StoreMessage.cannotWrite(path, String(cString: strerror(code))))
        }
        close(fd)
    }

    /// Flushes a folder's entries (the renames, creations and removals in it) to disk.
    private func syncFolder(_ folder: String) throws {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreMessage.failure(StoreMessage.cannotWrite(folder, String(cString: strerror(errno)))) }
        defer { close(fd) }
        guard flush(fd) == 0 || errno == EINVAL else {
            throw StoreMessage.failure(StoreMessage.cannotWrite(folder, String(cString: strerror(errno))))
        }
    }
}
