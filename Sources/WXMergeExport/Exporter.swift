package import WXMergeStore
import WXMergeCore
#if canImport(Glibc)
import Glibc
#endif

/// What a caller chooses of an export beyond the output it reads.
public struct ExportOptions: Sendable {
    public var format: ExportFormat
    /// The platform whose unionid identifies a user at the identity provider.
    public var platform: String?
    /// The app whose openid does, when no platform is given (Keycloak), or the openid
    /// Authing's input carries.
    public var appid: String?
    /// The alias of the identity provider in Keycloak.
    public var idpAlias: String

    public init(format: ExportFormat, platform: String? = nil, appid: String? = nil, idpAlias: String = "wechat") {
        self.format = format
        self.platform = platform
        self.appid = appid
        self.idpAlias = idpAlias
    }

    /// The identity that logs `user` in at the identity provider: the unionid of
    /// `platform`, else the openid of `appid`; nil when the user has none, or when the
    /// format needs none.
    func identity(of user: ExportedUser) -> String? {
        if let platform { return user.unionid(of: platform) }
        if let appid { return user.openid(in: appid) }
        return nil
    }

    /// Whether `user` lacks an identity the options ask for.
    func isUncovered(_ user: ExportedUser) -> Bool {
        guard format.needsIdentity else { return false }
        if let platform, user.unionid(of: platform) == nil { return true }
        if let appid, user.openid(in: appid) == nil { return true }
        return false
    }
}

/// What an export wrote.
public struct ExportSummary: Sendable {
    public var users = 0
    public var identities = 0
    /// Users without the chosen identity: counted, and the first `shownUncovered` kept.
    public var uncoveredCount = 0
    public var uncovered: [String] = []
    public static let shownUncovered = 20
}

/// Writes the users of an output in a format (docs/reference.md, "Export"), one user at a
/// time: the output is streamed, never held.
package struct Exporter {
    let options: ExportOptions

    package init(options: ExportOptions) {
        self.options = options
    }

    /// Writes every user of `output` into `sink`.
    package func export(from output: any OutputQueries, to sink: ExportSink) throws -> ExportSummary {
        var summary = ExportSummary()
        let format = options.format
        try sink.write(format.header())
        try ExportedUser.forEach(in: output) { user in
            if summary.users > 0 { try sink.write(format.separator) }
            summary.users += 1
            summary.identities += user.identities.count
            if options.isUncovered(user) {
                summary.uncoveredCount += 1
                if summary.uncovered.count < ExportSummary.shownUncovered { summary.uncovered.append(user.id) }
            }
            try sink.append { format.append(user, identity: options.identity(of: user), options: options, to: &$0) }
        }
        try sink.write(format.footer())
        try sink.finish()
        return summary
    }
}

/// Where an export's bytes go, through a buffer: standard output, or a file written
/// beside its target (`.NAME.tmp`, created owner-only and exclusively, never through a
/// symlink) and renamed over it once complete, so that a failed export leaves an earlier
/// file as it was.
public final class ExportSink {
    private let fd: Int32
    private let path: String?
    private let temporary: String?
    private var buffer: [UInt8] = []
    private var finished = false

    /// - Parameter path: the file, or nil for standard output.
    /// - Throws: `StoreError` (cannot write) when the temporary file cannot be created.
    public init(path: String?) throws {
        self.path = path
        guard let path else {
            fd = STDOUT_FILENO
            temporary = nil
            return
        }
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let temporary = folder + "." + name + ".tmp"
        unlink(temporary)
        fd = open(temporary, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreMessage.failure(StoreMessage.cannotCreate(temporary, errno)) }
        self.temporary = temporary
        buffer.reserveCapacity(1 << 20)
    }

    deinit {
        guard let temporary, !finished else { return }
        close(fd)
        unlink(temporary)
    }

    func write(_ text: String) throws {
        try append { $0.append(contentsOf: text.utf8) }
    }

    /// Lets `body` append to the buffer, which is written out once it holds 1 MB.
    func append(_ body: (inout [UInt8]) -> Void) throws {
        body(&buffer)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        var written = 0
        while written < buffer.count {
            let count = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw Self.cannotWrite(path ?? "standard output") }
            written += count
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is left and, for a file, puts it in place.
    func finish() throws {
        try flush()
        guard let path, let temporary else { return }
        guard fsync(fd) == 0, close(fd) == 0, rename(temporary, path) == 0 else { throw Self.cannotWrite(path) }
        finished = true
    }

    private static func cannotWrite(_ path: String) -> StoreError {
        StoreMessage.failure(StoreMessage.cannotWrite(path, String(cString: strerror(errno))))
    }
}
