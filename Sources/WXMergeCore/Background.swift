import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// A value computed on another thread; `value()` waits for it.
///
/// How a run keeps both cores busy where its phases allow: the earlier output is read
/// while the exports are parsed, and the users' fields and ids are decided while the
/// records are written.
public final class Background<Value: Sendable>: @unchecked Sendable {
    private var result: Result<Value, any Error>?
    private let done = DispatchSemaphore(value: 0)

    /// The work runs on a thread of its own, started at once: Dispatch's global queue
    /// runs about as many items at once as there are cores and adds a thread for blocked
    /// ones only after about a second, so work queued there behind a waiting item (the
    /// payload reader behind linking, say) could start a second late.
    /// - Parameter yielding: run at a lower priority (nice 10), taking only the processor
    ///   time the other threads leave: for work that has time to spare beside work that
    ///   has none.
    public init(yielding: Bool = false, _ work: @escaping @Sendable () throws -> Value) {
        let run: @Sendable () -> Void = {
            self.result = Result { try work() }
            self.done.signal()
        }
        let started = startThread {
            if yielding {
                // On Linux the nice value is a thread's own: 0 names the calling thread.
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
            }
            run()
        }
        if !started {
            DispatchQueue.global().async(execute: run)
        }
    }

    public func value() throws -> Value {
        done.wait()
        done.signal()
        return try result!.get()
    }
}

/// Runs `body` on a detached thread of its own; false when the system would not make one.
func startThread(_ body: @escaping @Sendable () -> Void) -> Bool {
    var thread = pthread_t()
    let box = Unmanaged.passRetained(ThreadBody(body))
    guard pthread_create(&thread, nil, { pointer in
        Unmanaged<ThreadBody>.fromOpaque(pointer!).takeRetainedValue().run()
        return nil
    }, box.toOpaque()) == 0 else {
        box.release()
        return false
    }
    pthread_detach(thread)
    return true
}

private final class ThreadBody {
    let run: @Sendable () -> Void

    init(_ run: @escaping @Sendable () -> Void) {
        self.run = run
    }
}
