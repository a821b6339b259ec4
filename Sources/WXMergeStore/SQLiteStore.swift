public import WXMergeCore
#if canImport(Glibc)
import Glibc
#endif

/// The output as an SQLite file and its reports beside it (docs/reference.md, "Tables and views"): the tables are
/// written into a temporary file (`SQLiteWriter`) and put in place with the reports as
/// one set, one run at a time (`OutputPublisher`).
public final class SQLiteStore: OutputStore, @unchecked Sendable {
    // @unchecked: one thread calls every step but `writeUsers`, which touches only
    // `job` and the part file's path (see `OutputStore`).
    public typealias PreparedDecisions = (decisions: Decisions, linkTexts: LinkTexts)

    let job: Job
    private let publisher: OutputPublisher
    private let writer: SQLiteWriter

    /// - Parameters:
    ///   - databasePath: the database file; the reports' folder and the lock are beside it.
    ///   - reportPrefix: the reports' path without extension.
    ///   - flush: how a file's or a folder's bytes are flushed (`fsync` unless given).
    public init(job: Job, databasePath: String, reportPrefix: String, flush: ((Int32) -> Int32)? = nil) {
        self.job = job
        publisher = OutputPublisher(databasePath: databasePath, reportPrefix: reportPrefix, flush: flush)
        writer = SQLiteWriter(job: job, path: publisher.temporaryDatabasePath)
    }

    public var name: String { publisher.databasePath! }
    public var outputNames: [String] { [name] + publisher.reportPaths }
    public var workFolder: String { publisher.databaseFolder }
    public var hasUnfinishedPublishing: Bool { publisher.hasUnfinishedPublishing }

    public func begin(wait: Double) throws {
        try publisher.begin(wait: wait)
    }

    public func readEarlier() throws -> EarlierOutput? {
        try EarlierDatabase.read(path: name)
    }

    public func writeRecords(_ ordered: OrderedRecords, spools: [PayloadSpool]) throws {
        try writer.writeRecords(ordered, spools: spools)
    }

    public func writeRecordUsers(_ userOf: [Int32]) throws {
        try writer.writeRecordUsers(userOf)
    }

    public func prepare(_ decisions: Decisions) -> PreparedDecisions {
        (decisions, LinkTexts(decisions.result, job: job))
    }

    public func writeDecisions(_ prepared: PreparedDecisions) throws {
        try writer.writeDecisions(prepared.decisions, linkTexts: prepared.linkTexts)
    }

    public func writeUsers(_ result: Reconciliation) throws {
        try SQLiteWriter.writeUsers(result, for: publisher.temporaryDatabasePath)
    }

    public func addUsers() throws {
        try writer.addUsers()
    }

    public func writeRun(_ row: RunRow, id: Int) throws {
        try writer.writeRun(row, id: id)
    }

    public func writeReport(_ text: String, format: String) throws {
        guard let path = publisher.reportPaths.first(where: { $0.hasSuffix("." + format) }) else {
            preconditionFailure("no report of format \(format)")
        }
        try publisher.writeTemporary(text, for: path)
    }

    public func publish(checkpoint: (String) throws -> Void) throws {
        try publisher.publish(pausingAt: checkpoint)
    }

    public func abandon() {
        writer.close()
        publisher.discard()
    }
}
