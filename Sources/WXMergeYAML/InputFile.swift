public import WXMergeCore
#if canImport(Glibc)
import Glibc
#endif

/// An input file (a record file or an openid map): its path, the path messages show,
/// and its size and modification time when the run found it.
public struct InputFile: Sendable, Equatable {
    public var path: String
    /// The path relative to the job file's folder.
    public var displayPath: String
    public var size: Int
    /// Nanoseconds since the epoch.
    public var modified: Int64

    public init(path: String, displayPath: String, size: Int, modified: Int64 = 0) {
        self.path = path
        self.displayPath = displayPath
        self.size = size
        self.modified = modified
    }

    /// The file at `path` as it is now (size 0 when it cannot be read: reading it says why).
    public static func at(_ path: String, displayPath: String) -> InputFile {
        var info = stat()
        guard stat(path, &info) == 0 else { return InputFile(path: path, displayPath: displayPath, size: 0) }
        return InputFile(path: path, displayPath: displayPath, info)
    }

    private init(path: String, displayPath: String, _ info: stat) {
        self.init(path: path, displayPath: displayPath, size: Int(info.st_size),
                  modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
    }

    /// The SHA-256 of the file's bytes, for `runs.inputs`. It is worked out apart from
    /// parsing, where parsing leaves a core idle; a file whose size or modification time
    /// is no longer what the run found is an error (exit 66), as what was parsed may not
    /// be what is hashed (`checkUnchanged()` says the same once the parse is over).
    public func sha256() throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw InputError(.missingFile, [.error(at: nil, RecordMessage.cannotRead(messagePath, errno))])
        }
        defer { close(fd) }
        var hash = ContentHash()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw InputError(.missingFile, [.error(at: nil, RecordMessage.cannotRead(messagePath, errno))])
            }
            hash.update(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
        var info = stat()
        guard fstat(fd, &info) != 0 || InputFile(path: path, displayPath: displayPath, info) == self else {
            throw InputError(.missingFile, [.error(at: nil, RecordMessage.changedWhileRead(messagePath))])
        }
        return hash.finalize()
    }

    /// Throws exit 66 when the file's size or modification time is no longer what the
    /// run found: after the parse, this and `sha256()` make sure the fingerprint is of
    /// the bytes that were parsed.
    public func checkUnchanged() throws {
        guard InputFile.at(path, displayPath: displayPath) == self else {
            throw InputError(.missingFile, [.error(at: nil, RecordMessage.changedWhileRead(messagePath))])
        }
    }

    /// The files a job's `inputs` name: globs expanded relative to the job file's
    /// folder, each file once, in sorted order. Folders a glob matches are passed over;
    /// anything else that is not a regular file is an error, before anything is read.
    /// - Throws: `InputError` (missing file) naming an entry that matches no file, or a match that is
    ///   a FIFO, a device or a socket, or a symlink that leads nowhere or loops.
    /// The path as messages write it: as it opens from the current folder.
    var messagePath: String { Self.fromHere(path) }

    static func fromHere(_ path: String) -> String {
        path.hasPrefix("./") ? String(path.dropFirst(2)) : path
    }

    public static func resolve(_ job: Job) throws -> [InputFile] {
        var seen = Set<String>()
        var files: [InputFile] = []
        for (pattern, location) in job.inputs {
            let full = pattern.hasPrefix("/") ? pattern : job.folder + "/" + pattern
            var matches: [(path: String, info: stat)] = []
            for path in glob(full) {
                var info = stat()
                guard stat(path, &info) == 0 else {
                    throw InputError(.missingFile,
                                     [.error(at: location, InputMessage.unreadableMatch(Self.fromHere(path), errno))])
                }
                switch info.st_mode & S_IFMT {
                case S_IFDIR: continue
                case S_IFREG: matches.append((path, info))
                default:
                    throw InputError(.missingFile,
                                     [.error(at: location, InputMessage.notARegularFile(Self.fromHere(path)))])
                }
            }
            guard !matches.isEmpty else {
                throw InputError(.missingFile,
                                 [.error(at: location, InputMessage.noMatch(pattern))])
            }
            for (path, info) in matches {
                guard seen.insert(normalise(path)).inserted else { continue }
                files.append(InputFile(path: path, displayPath: relative(path, to: job.folder), info))
            }
        }
        return files.sorted { $0.displayPath.precedesInByteOrder($1.displayPath) }
    }

    private static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }
    }

    static func relative(_ path: String, to folder: String) -> String {
        if folder == "." { return path.hasPrefix("./") ? String(path.dropFirst(2)) : path }
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    private static func normalise(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

public enum InputMessage {
    public static func noMatch(_ pattern: String) -> String { "input '\(pattern)' matches no file" }
    public static func notARegularFile(_ path: String) -> String {
        "'\(path)' is not a regular file (a FIFO, a device or a socket): it is not read"
    }
    public static func unreadableMatch(_ path: String, _ code: Int32) -> String {
        switch code {
        case ENOENT: "'\(path)' is a symlink that leads nowhere"
        case ELOOP: "'\(path)' is a symlink that loops"
        default: "cannot read '\(path)': \(String(cString: strerror(code)))"
        }
    }
}
