internal import GRDB
import WXMergeCore
#if canImport(Glibc)
import Glibc
#endif

/// Runs `body` on the wxmerge database at `path`, opened read-only (nightly runs,
/// `explain` and `score` read outputs this way).
/// - Throws: `StoreError`: missing when there is no file at `path`; a diagnosed error
///   `body` throws, as it is; any other failure as "not a wxmerge database", naming the file.
///   The file is only read.
func readingDatabase<T>(_ path: String, _ body: (Database) throws -> T) throws -> T {
    guard access(path, F_OK) == 0 else {
        throw StoreError(.missing, [.error(at: nil, StoreMessage.noDatabase(path))])
    }
    var configuration = Configuration()
    configuration.readonly = true
    let queue: DatabaseQueue
    do {
        queue = try DatabaseQueue(path: path, configuration: configuration)
    } catch {
        throw StoreMessage.failure(StoreMessage.notAWXMergeDatabase(path))
    }
    defer { try? queue.close() }
    do {
        return try queue.read(body)
    } catch let failure as any DiagnosedError {
        throw failure
    } catch {
        throw StoreMessage.failure(StoreMessage.notAWXMergeDatabase(path))
    }
}
