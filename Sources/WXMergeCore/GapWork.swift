import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Independent pieces of work done by a thread of the lowest priority (Linux's
/// `SCHED_IDLE`), which runs only where the run's other threads leave a core free: such
/// as the start of the run, the move of the records into canonical order, and the copy
/// of the users' part at the end. `values()` waits for no
/// one: the caller does at its own priority whatever is not done yet, an item in hand on
/// the idle thread included, so a machine kept busy by other processes, where the idle
/// thread may not run for a long time, never stalls the run.
public final class GapWork<Value: Sendable>: Sendable {
    private let work: [@Sendable () throws -> Value]
    /// The next item nobody has taken.
    private let next = Atomic<Int>(0)
    /// What the idle thread finished.
    private let slots: [Slot]

    private final class Slot: Sendable {
        let done = Atomic<Bool>(false)
        /// Written by the idle thread before `done`, read by others only after it.
        nonisolated(unsafe) var result: Result<Value, any Error>?
    }

    private init(_ work: [@Sendable () throws -> Value]) {
        self.work = work
        slots = work.map { _ in Slot() }
    }

    /// Starts the idle thread on `work`.
    public static func start(_ work: [@Sendable () throws -> Value]) -> GapWork {
        let gapWork = GapWork(work)
        // Where no thread can be made, `values()` does it all.
        _ = startThread { gapWork.runIdle() }
        return gapWork
    }

    private func runIdle() {
        // SCHED_IDLE (5), which Glibc's module leaves out (it is a GNU extension); 0 names
        // the calling thread. Where it is refused the thread runs as it is.
        var parameters = sched_param()
        _ = sched_setscheduler(0, 5, &parameters)
        while case let index = next.add(1, ordering: .relaxed).oldValue, index < work.count {
            slots[index].result = Result { try work[index]() }
            slots[index].done.store(true, ordering: .releasing)
        }
    }

    /// Each item's value, in the order given; the first item that threw, throws. Never
    /// waits: what the idle thread has not finished, this does.
    public func values() throws -> [Value] {
        var results = [Result<Value, any Error>?](repeating: nil, count: work.count)
        while case let index = next.add(1, ordering: .relaxed).oldValue, index < work.count {
            results[index] = Result { try work[index]() }
        }
        return try work.indices.map { index in
            if let result = results[index] { return try result.get() }
            if slots[index].done.load(ordering: .acquiring) { return try slots[index].result!.get() }
            return try work[index]()  // in the idle thread's hands, not finished
        }
    }
}
