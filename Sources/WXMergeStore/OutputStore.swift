public import WXMergeCore

/// Where a run's output goes: the merged tables (docs/reference.md, "Tables and views"), the run's `runs` row and the
/// reports, put in place as one set, one run at a time.
///
/// A run calls a store in this order, each step once, all on one thread except
/// `writeUsers`:
///
/// 1. `begin(wait:)`, then `readEarlier()`: the output is this run's alone from here on,
///    and what a killed run left is finished or removed.
/// 2. `writeRecords`, `writeRecordUsers`, `writeDecisions` (after `prepare`), in that
///    order; `writeUsers` on another thread at any time after `begin`, and
///    `addUsers()` once both it and `writeDecisions` returned.
/// 3. `writeRun`, `writeReport` for each format, then `publish()`: readers see the earlier output until
///    `publish` returns, and the new one after.
///
/// `abandon()` may come at any point after `begin`, from the thread that called `begin`,
/// once `writeUsers` has returned: it removes everything of this run's and leaves the
/// earlier output as it was. A store throws `StoreError`.
///
/// Two stores implement it: the SQLite file (`SQLiteStore`) and a PostgreSQL schema
/// (`PostgresStore`, in WXMergePostgres), each with its own loading; the engine is the same.
public protocol OutputStore: AnyObject, Sendable {
    /// What the store does with the decisions on the thread that made them, so the
    /// writing thread need not (`SQLiteStore` lays out the links' texts).
    associatedtype PreparedDecisions: Sendable

    /// The output as messages and the summary name it.
    var name: String { get }
    /// Every file or object the run writes, as the summary lists them.
    var outputNames: [String] { get }
    /// A folder on the output's disk for the run's work files (payload spools).
    var workFolder: String { get }
    /// Whether a killed run left a publishing half done, which the next run finishes
    /// (`check` says so and writes nothing).
    var hasUnfinishedPublishing: Bool { get }

    /// Takes the output for this run alone, waiting up to `wait` seconds for another run,
    /// and finishes or removes what a killed run left.
    func begin(wait: Double) throws
    /// The earlier run's output, nil when there is none. Needs no `begin` (`check` reads
    /// it too); safe on any one thread.
    func readEarlier() throws -> EarlierOutput?

    /// The records in canonical order, each with its payload from the spools.
    func writeRecords(_ ordered: OrderedRecords, spools: [PayloadSpool]) throws
    /// Each record's user number (`LinkedRecords.userOf`), in record order; then the
    /// records' lookups are indexed.
    func writeRecordUsers(_ userOf: [Int32]) throws
    /// Done on the thread that decided the users, before `writeDecisions`.
    func prepare(_ decisions: Decisions) -> PreparedDecisions
    /// Links, conflicts, rejected records, aliases, suggestions and the earlier `runs`.
    func writeDecisions(_ prepared: PreparedDecisions) throws
    /// The users, each with its fields' survivors; may run on another thread.
    func writeUsers(_ result: Reconciliation) throws
    /// Puts the users `writeUsers` wrote beside the other tables.
    func addUsers() throws
    /// This run's row of `runs`, last of the tables.
    func writeRun(_ row: RunRow, id: Int) throws
    /// A report, by its format (`md`, `json`, `html`).
    func writeReport(_ text: String, format: String) throws
    /// Puts the whole output in place at once. `checkpoint` is called at named points in
    /// it (tests stop or fail a run there).
    func publish(checkpoint: (String) throws -> Void) throws
    /// Removes what this run wrote and gives the output up; the earlier output stays.
    func abandon()
}

/// What a run decided besides the users, as a store writes it.
public struct Decisions: Sendable {
    public var result: Reconciliation
    public var rejections: [Rejection]
    /// The earlier output's `runs` rows, carried over.
    public var earlierRuns: [EarlierOutput.StoredRun]

    public init(result: Reconciliation, rejections: [Rejection], earlierRuns: [EarlierOutput.StoredRun]) {
        self.result = result
        self.rejections = rejections
        self.earlierRuns = earlierRuns
    }
}
