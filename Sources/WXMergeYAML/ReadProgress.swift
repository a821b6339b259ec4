import Synchronization

/// Bytes, records and files read so far by every reader of a run, for the progress line.
public final class ReadProgress: Sendable {
    private let total = Atomic<Int>(0)
    private let recordCount = Atomic<Int>(0)
    private let fileCount = Atomic<Int>(0)

    public init() {}

    func add(bytes: Int) {
        total.add(bytes, ordering: .relaxed)
    }

    func add(records: Int) {
        recordCount.add(records, ordering: .relaxed)
    }

    func fileDone() {
        fileCount.add(1, ordering: .relaxed)
    }

    public var bytes: Int { total.load(ordering: .relaxed) }
    public var records: Int { recordCount.load(ordering: .relaxed) }
    public var files: Int { fileCount.load(ordering: .relaxed) }
}
