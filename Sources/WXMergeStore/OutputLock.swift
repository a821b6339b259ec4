import WXMergeCore
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on an output's folder (`flock`), held by one run from before it
/// reads the earlier output until it has published (docs/reference.md, "Publishing").
///
/// The lock is the kernel's: it goes with the process, however the process ends, so a
/// leftover file found while holding it belongs to a run that is over. Process ids are
/// never used to judge that.
///
/// The folder is made when missing; `release(removingCreatedFolders:)` removes the
/// folders it made (when empty) after a run that failed, so that a failed run leaves no
/// folder behind.
final class OutputLock {
    let folder: String
    private var fd: Int32 = -1
    /// Folders this lock made, outermost first.
    private(set) var createdFolders: [String] = []

    /// Takes the lock on `folder`, waiting up to `wait` seconds for another run's.
    /// - Throws: `StoreError`: busy when another run holds it past `wait`, cannot write when the
    ///   folder cannot be made or opened.
    init(folder: String, wait: Double) throws {
        self.folder = folder
        let deadline = Self.now() + max(0, wait)
        while true {
            try makeFolders()
            let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { throw StoreMessage.failure(StoreMessage.cannotCreate(folder, errno)) }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                // A run that failed may have removed the folder it made while this one
                // waited: then the lock is on a folder that is no longer there.
                var held = stat()
                var named = stat()
                if fstat(fd, &held) == 0, stat(folder, &named) == 0, held.st_ino == named.st_ino, held.st_dev == named.st_dev {
                    self.fd = fd
                    return
                }
                close(fd)
                continue
            }
            let code = errno
            close(fd)
            guard code == EWOULDBLOCK || code == EINTR else {
                throw StoreMessage.failure(StoreMessage.cannotLock(folder, code))
            }
            guard Self.now() < deadline else {
                releaseFolders()
                throw StoreError(.busy, [.error(at: nil, StoreMessage.busy(folder))])
            }
            usleep(50_000)
        }
    }

    deinit { release(removingCreatedFolders: false) }

    /// Lets the next run in. After a failed run, removes the folders the lock made when
    /// they are empty.
    func release(removingCreatedFolders: Bool) {
        if removingCreatedFolders { releaseFolders() }
        if fd >= 0 {
            close(fd)
            fd = -1
        }
    }

    private func releaseFolders() {
        for folder in createdFolders.reversed() { rmdir(folder) }
        createdFolders.removeAll()
    }

    /// Makes `folder` and the folders above it that are missing, remembering which.
    private func makeFolders() throws {
        createdFolders += try Self.makeFolders(folder)
    }

    /// Makes `folder` and those above it that are missing; returns the ones it made,
    /// outermost first.
    static func makeFolders(_ folder: String) throws -> [String] {
        var path = folder.hasPrefix("/") ? "" : "."
        var made: [String] = []
        for part in folder.split(separator: "/") {
            path += "/" + part
            if mkdir(path, 0o755) == 0 {
                made.append(path)
            } else if errno != EEXIST {
                let code = errno
                for folder in made.reversed() { rmdir(folder) }
                throw StoreMessage.failure(StoreMessage.cannotCreate(path, code))
            }
        }
        var info = stat()
        guard stat(folder, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            for folder in made.reversed() { rmdir(folder) }
            throw StoreMessage.failure(StoreMessage.cannotCreate(folder, ENOTDIR))
        }
        return made
    }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
