public import WXMergeCore
#if canImport(Glibc)
import Glibc
#endif

/// A record file to read: its path, the path messages show, and its size.
public struct InputFile: Sendable, Equatable {
    public var path: String
    /// The path relative to the job file's folder.
    public var displayPath: String
    public var size: Int

    public init(path: String, displayPath: String, size: Int) {
        self.path = path
        self.displayPath = displayPath
        self.size = size
    }

    /// The files a job's `inputs` name: globs expanded relative to the job file's
    /// folder, each file once, in sorted order.
    /// - Throws: `RunFailure` 66 naming an entry that matches no file.
    public static func resolve(_ job: Job) throws -> [InputFile] {
        var seen = Set<String>()
        var files: [InputFile] = []
        for (pattern, location) in job.inputs {
            let full = pattern.hasPrefix("/") ? pattern : job.folder + "/" + pattern
            var matches = glob(full)
            matches.removeAll { path in
                var info = stat()
                return stat(path, &info) != 0 || (info.st_mode & S_IFMT) == S_IFDIR
            }
            guard !matches.isEmpty else {
                throw RunFailure(exitCode: RunFailure.missingInput,
                                 [.error(at: location, InputMessage.noMatch(pattern))])
            }
            for path in matches {
                let display = relative(path, to: job.folder)
                guard seen.insert(normalise(path)).inserted else { continue }
                var info = stat()
                _ = stat(path, &info)
                files.append(InputFile(path: path, displayPath: display, size: Int(info.st_size)))
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
}
