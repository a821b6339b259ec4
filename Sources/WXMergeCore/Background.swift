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

/// Runs `body` for each of `0..<count` at once, on the calling thread and `count - 1`
/// threads of their own; returns when all are done. Unlike `concurrentPerform`, whose
/// helpers come from Dispatch's pool and join only when it has room, these run side by
/// side even when the pool is busy (tests run in parallel): the record readers wait for
/// one another when one shares another's file.
public func onThreads(_ count: Int, _ body: (Int) -> Void) {
    withoutActuallyEscaping(body) { body in
        // The threads reach `body` through this box, which lets it go before returning:
        // a non-escaping closure must not outlive the call.
        let shared = SharedBody(body)
        let done = DispatchSemaphore(value: 0)
        var started = 0
        for index in 1..<max(count, 1) {
            if startThread({ shared.run(index); done.signal() }) {
                started += 1
            } else {
                shared.run(index)
            }
        }
        if count > 0 { shared.run(0) }
        for _ in 0..<started { done.wait() }
        shared.body = nil
    }
}

private final class SharedBody: @unchecked Sendable {
    var body: ((Int) -> Void)?

    init(_ body: @escaping (Int) -> Void) {
        self.body = body
    }

    func run(_ index: Int) {
        body!(index)
    }
}
