#if canImport(Glibc)
import Glibc
#endif

/// A value that threads share under a lock: `withLock` gives one thread at a time the
/// value to read or change.
///
/// The lock is a `pthread_mutex_t`, not the standard library's `Mutex`: on Linux that one
/// waits with the futex system call inside the standard library, where ThreadSanitizer
/// cannot see it, and every access under it is then reported as a race. ThreadSanitizer
/// knows `pthread_mutex_lock`, so the runs under it (CI) check the code that uses this.
public final class Locked<Value: ~Copyable>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ value: consuming Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value, holding the lock.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
