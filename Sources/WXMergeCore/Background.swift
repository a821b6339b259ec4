import Dispatch

/// A value computed on another thread; `value()` waits for it.
///
/// How a run keeps both cores busy where its phases allow: the earlier output is read
/// while the exports are parsed, and the users are sorted by id while records are written.
public final class Background<Value: Sendable>: @unchecked Sendable {
    private var result: Result<Value, any Error>?
    private let done = DispatchSemaphore(value: 0)

    public init(_ work: @escaping @Sendable () throws -> Value) {
        DispatchQueue.global().async {
            self.result = Result { try work() }
            self.done.signal()
        }
    }

    public func value() throws -> Value {
        done.wait()
        done.signal()
        return try result!.get()
    }
}
