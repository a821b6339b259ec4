public import WXMergeCore
internal import WXMergeReport
internal import WXMergePostgres
internal import WXMergeStore
public import WXMergeYAML
import Foundation

/// This build's version, as `--version`, the reports and `runs` give it.
public let wxmergeVersion = "0.1.0"

/// One run of a job, read top to bottom in the order of docs/reference.md:
///
/// 1. the job file and its inputs (`readJob`);
/// 2. the records of every export (`readRecords`), then the migrations' new openids;
/// 3. the canonical order (`Reconciler.order`);
/// 4. links between records, then users and their ids (`Reconciler.link`,
///    `Reconciler.decideUsers`), and the report's facts;
/// 5. the output store's tables, then the reports, then publishing, all or nothing.
///
/// `check` stops after step 4 and writes nothing. In `run`, step 4 overlaps step 5 on
/// threads, in one place: `WriteOverlap`. A `Run` never prints: what a user should see
/// goes through `events`.
public struct Run {
    public var options: RunOptions
    public var events: RunEvents

    public init(options: RunOptions, events: RunEvents = RunEvents()) {
        self.options = options
        self.events = events
    }

    /// `wxmerge run`: reads, merges, writes and publishes the output.
    /// - Throws: `InputError`, `StoreError`, `SpoolError` or `RunError`; the earlier output
    ///   is then as it was, and nothing of this run's is left.
    public func execute() throws -> RunOutcome {
        try perform(writes: true)
    }

    /// `wxmerge check`: reads and merges as a run would, and writes nothing.
    public func check() throws -> RunOutcome {
        try perform(writes: false)
    }

    private func perform(writes: Bool) throws -> RunOutcome {
        var clock = PhaseClock()
        let inputs = try readJob()
        let job = inputs.job
        let reportPrefix = options.reportPrefix ?? job.reportPrefix
        if let address = PostgresURI(options.database ?? job.database) {
            let store = PostgresStore(job: job, address: address, reportPrefix: reportPrefix)
            return try perform(inputs, into: store, writes: writes, clock: &clock)
        }
        let store = SQLiteStore(job: job, databasePath: options.database ?? job.databasePath, reportPrefix: reportPrefix)
        return try perform(inputs, into: store, writes: writes, clock: &clock)
    }

    private func perform<Store: OutputStore>(_ inputs: JobInputs, into store: Store, writes: Bool,
                                             clock: inout PhaseClock) throws -> RunOutcome {
        let job = inputs.job
        var isPublished = false
        if writes {
            try store.begin(wait: options.wait)
        } else if store.hasUnfinishedPublishing {
            events.warning(.init(.warning, at: nil, StoreMessage.unfinishedPublishing(store.name)))
        }
        // A run that fails leaves nothing: no temporary file, no folder, no lock.
        defer { if writes, !isPublished { store.abandon() } }
        // The earlier output is read on a thread of its own while the exports are parsed.
        let earlierReading = Background { try store.readEarlier() }
        // A run ends with no thread of its own still in a library: a process that exits
        // while another thread is inside libpq (or its TLS library) can crash at exit.
        defer { _ = try? earlierReading.value() }
        // The inputs' fingerprints for `runs`, taken where the other threads leave a core
        // free; checked against the files when they are used.
        let fingerprints = writes ? Fingerprints(inputs) : nil

        let (read, spools) = try readRecords(inputs, spoolFolder: writes ? store.workFolder : Self.temporaryFolder)
        clock.end("parse")
        var input = read
        try events.checkpoint("parsed")
        let earlier = try earlierReading.value()
        reportWarnings(input.warnings, job: job)
        events.stage(.reconciling(records: input.records.records.count))
        if options.strict, !input.rejections.isEmpty {
            throw RunError.rejected(input.rejections).openingFrom(job.folder)
        }

        let migrations = Migrator(job: job).apply(&input.records, maps: inputs.maps)
        let reconciler = Reconciler(job: job)
        let ordered = reconciler.order(&input.records)
        clock.end("order")
        // The earlier users, and which records each held, read while the records are
        // linked and written.
        let earlierState = earlier.map { earlier in Background { try earlier.state(for: ordered, job: job) } }
        defer { _ = try? earlierState?.value() }
        let facts = ReportFacts(job: job, input: input, migrations: migrations, started: clock.started,
                                privacy: Privacy(showsValues: options.showsValues))
        let decide: @Sendable (LinkedRecords) throws -> (Reconciliation, RunReport) = { linked in
            let result = reconciler.decideUsers(linked, earlier: try earlierState?.value())
            return (result, facts.report(result))
        }
        guard writes else {
            let report = try decide(reconciler.link(ordered)).1
            clock.end("reconcile")
            return RunOutcome(report: report, outputs: store.outputNames, timings: clock.phases)
        }

        events.stage(.writing(store.name))
        let (rejections, earlierRuns) = (input.rejections, earlier?.runs ?? [])
        let overlap = WriteOverlap(store: store, reconciler: reconciler, decide: decide,
                                   decisions: { Decisions(result: $0, rejections: rejections, earlierRuns: earlierRuns) },
                                   checkpoint: events.checkpoint)
        let report = try overlap.write(ordered, spools: spools) { result, report in
            try fingerprints!.runRow(result, report)
        }
        clock.end("write")
        try events.checkpoint("database-written")
        try store.writeReport(MarkdownReport.render(report), format: "md")
        try store.writeReport(JSONReport.render(report), format: "json")
        try store.writeReport(HTMLReport.render(report), format: "html")
        try events.checkpoint("reports-written")
        clock.end("report")
        try store.publish(checkpoint: events.checkpoint)
        isPublished = true
        clock.end("publish")
        return RunOutcome(report: report, outputs: store.outputNames, timings: clock.phases)
    }

    // MARK: Stages

    /// The job, its record files and its openid maps (docs/reference.md, "Job file" and "Record files").
    struct JobInputs {
        var job: Job
        var jobFile: InputFile
        var files: [InputFile]
        var mapFiles: [InputFile]
        var maps: [(newOpenID: [String: String], erroredItems: Int)]
    }

    /// Reads the job file, finds its record files (sized and dated before they are read)
    /// and reads its openid maps.
    func readJob() throws -> JobInputs {
        let jobFile = InputFile.at(options.jobPath, displayPath: options.jobPath)
        let job = try JobFileReader().read(path: options.jobPath)
        let files = try InputFile.resolve(job)
        let mapFiles = job.migrations.map {
            InputFile.at(Job.path($0.openidMap, in: job.folder), displayPath: $0.openidMap)
        }
        let maps = try zip(job.migrations, mapFiles).map { migration, file in
            guard access(file.path, F_OK) == 0 else {
                throw InputError(.missingFile, [.error(at: migration.location, RecordMessage.missingOpenIDMap(migration.openidMap))])
            }
            let map = try Self.openingFrom(job.folder) {
                try OpenIDMapReader().read(path: file.path, displayPath: migration.openidMap)
            }
            return (newOpenID: map.newOpenID, erroredItems: map.erroredItems)
        }
        return JobInputs(job: job, jobFile: jobFile, files: files, mapFiles: mapFiles, maps: maps)
    }

    /// Reads every record file (docs/reference.md, "Record files"), their payloads into spools in `spoolFolder`.
    func readRecords(_ inputs: JobInputs, spoolFolder: String) throws -> (ReadResult, [PayloadSpool]) {
        let progress = ReadProgress()
        events.stage(.reading(files: inputs.files, progress: progress))
        return try Self.openingFrom(inputs.job.folder) {
            try RecordReader(job: inputs.job, files: inputs.files).read(spoolFolder: spoolFolder, progress: progress)
        }
    }

    /// Gives the input's warnings to `events`, at most 20 lines of each kind.
    func reportWarnings(_ warnings: [WarningTally], job: Job) {
        let grouped = WarningTally.grouped(warnings)
        for kind in grouped.kinds {
            for warning in grouped.shown where warning.kind == kind.kind {
                let times = warning.count == 1 ? "" : " (\(warning.count) records)"
                events.warning(Diagnostic(.warning, at: warning.first, warning.message + times).openingFrom(job.folder))
            }
            if kind.omittedLines > 0 { events.warning(.init(.warning, at: nil, kind.omittedText)) }
        }
    }

    /// Runs `body`, its `InputError`s' places written as they open from the current
    /// folder: the record files and maps are named relative to the job file's folder, as
    /// the tables keep them, and a message names a file as an editor opens it.
    static func openingFrom<Result>(_ folder: String, _ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch var error as InputError {
            error.diagnostics = error.diagnostics.map { $0.openingFrom(folder) }
            throw error
        }
    }

    /// Where `check` spools payloads: it writes no output, so not beside one.
    static var temporaryFolder: String { ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp" }
}

/// What a run or a check found and wrote.
public struct RunOutcome: Sendable {
    public var report: RunReport
    /// The outputs written (or, by `check`, that a run would write).
    public var outputs: [String]
    /// Each phase's wall time and the peak resident memory at its end.
    public var timings: [Phase]
}

/// What a caller chooses of a run beyond its job file.
public struct RunOptions: Sendable {
    public var jobPath: String
    /// The output database instead of the job's.
    public var database: String?
    /// The reports' path without extension instead of the job's.
    public var reportPrefix: String?
    /// Seconds to wait for another run on the same output.
    public var wait: Double
    /// Stop when any record is rejected.
    public var strict: Bool
    /// Show personal values unmasked in the reports.
    public var showsValues: Bool

    public init(jobPath: String, database: String? = nil, reportPrefix: String? = nil, wait: Double = 0,
                strict: Bool = false, showsValues: Bool = false) {
        self.jobPath = jobPath
        self.database = database
        self.reportPrefix = reportPrefix
        self.wait = wait
        self.strict = strict
        self.showsValues = showsValues
    }
}

/// What a run tells its caller while it works. Each is called on the run's thread, except
/// `checkpoint`, which may be called on any.
public struct RunEvents: Sendable {
    public enum Stage: Sendable {
        /// The record files are about to be read; `progress` counts what is read.
        case reading(files: [InputFile], progress: ReadProgress)
        case reconciling(records: Int)
        case writing(String)
    }

    public var stage: @Sendable (Stage) -> Void
    /// A warning about the input.
    public var warning: @Sendable (Diagnostic) -> Void
    /// Called at each named point of a run (`parsed`, `users-written`,
    /// `database-written`, `reports-written`, `journal-written`, `publishing`): tests stop
    /// or fail a run there. What it throws fails the run, as a kill would.
    public var checkpoint: @Sendable (String) throws -> Void

    public init(stage: @escaping @Sendable (Stage) -> Void = { _ in },
                warning: @escaping @Sendable (Diagnostic) -> Void = { _ in },
                checkpoint: @escaping @Sendable (String) throws -> Void = { _ in }) {
        self.stage = stage
        self.warning = warning
        self.checkpoint = checkpoint
    }
}

/// A run stopped by its own rule rather than by its input or output.
public struct RunError: DiagnosedError {
    public enum Kind: Sendable {
        /// `--strict`, and a record was rejected.
        case rejectedRecords
    }

    public var kind: Kind
    public var diagnostics: [Diagnostic]

    /// The first 20 rejections, and a line saying how many more.
    static func rejected(_ rejections: [Rejection]) -> RunError {
        var diagnostics = rejections.prefix(20).map { Diagnostic.error(at: $0.location, $0.reason) }
        if rejections.count > 20 {
            diagnostics.append(.error(at: nil, "and \(rejections.count - 20) more rejected records"))
        }
        return RunError(kind: .rejectedRecords, diagnostics: diagnostics)
    }
}

extension Diagnostic {
    /// The diagnostic with its places, relative to `folder`, written from the current folder.
    func openingFrom(_ folder: String) -> Diagnostic {
        var diagnostic = self
        diagnostic.location = location.map { $0.openingFrom(folder) }
        diagnostic.notes = notes.map { Note(location: $0.location.map { $0.openingFrom(folder) }, message: $0.message) }
        return diagnostic
    }
}

extension SourceLocation {
    func openingFrom(_ folder: String) -> SourceLocation {
        SourceLocation(file: Job.path(file, in: folder), line: line, column: column)
    }
}

extension RunError {
    func openingFrom(_ folder: String) -> RunError {
        RunError(kind: kind, diagnostics: diagnostics.map { $0.openingFrom(folder) })
    }
}

extension Job {
    /// The output database, as the job file names it (relative to the job file's folder).
    public var databasePath: String { PostgresURI(database) == nil ? Self.path(database, in: folder) : database }
    /// The reports' path without extension, as the job file names it.
    public var reportPrefix: String { Self.path(report, in: folder) }

    /// `path` as named in the job file, from the current folder.
    static func path(_ path: String, in folder: String) -> String {
        path.hasPrefix("/") || folder == "." ? path : folder + "/" + path
    }
}
