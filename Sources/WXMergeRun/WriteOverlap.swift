internal import WXMergeCore
internal import WXMergeStore

/// The write stage of a run, with linking and deciding overlapped onto it: the one place
/// where a run's stages share out the two cores.
///
///     run's thread   records ─────┬ record users, ┬ links, conflicts, … ┬ add users ─ runs row
///                                 │ their indexes │                     │            ▲
///     background     link ────────┘ decide ───────┴ user_rows (part) ───┘            │
///     (niced)                                                                        │
///     gaps           fingerprints of the inputs, where a core is idle ──────────────┘
///
/// Each arrow is a wait on the run's thread for the value (`Background.value()`): the
/// numbers of the records' users before `writeRecordUsers`, the decisions before
/// `writeDecisions`, the users' part before `addUsers`, the fingerprints before the
/// `runs` row. The users' part is written at a lower priority (`yielding`), so it takes
/// what the index builds leave of a core. The payload spools are given back once the
/// records and the users are both written (whichever ends last): their page cache is
/// some 200 MB at a million people.
struct WriteOverlap<Store: OutputStore> {
    let store: Store
    let reconciler: Reconciler
    let decide: @Sendable (LinkedRecords) throws -> (Reconciliation, RunReport)
    let decisions: @Sendable (Reconciliation) -> Decisions
    let checkpoint: @Sendable (String) throws -> Void

    /// Writes every table; returns the report's facts.
    /// - Parameter runRow: this run's `runs` row, asked for last.
    func write(_ ordered: OrderedRecords, spools: [PayloadSpool],
               runRow: (Reconciliation, RunReport) throws -> RunRow) throws -> RunReport {
        let (store, reconciler, decide, decisions) = (self.store, self.reconciler, self.decide, self.decisions)
        let linking = Background { () -> LinkedRecords in
            let linked = reconciler.link(ordered)
            releaseFreedMemory()  // what linking sorted and grouped
            return linked
        }
        let deciding = Background { () -> (Reconciliation, RunReport, Store.PreparedDecisions) in
            let (result, report) = try decide(linking.value())
            return (result, report, store.prepare(decisions(result)))
        }
        let spoolsDone = SpoolRelease(spools)
        let checkpoint = self.checkpoint
        let writingUsers = Background(yielding: true) {
            try store.writeUsers(deciding.value().0)
            spoolsDone.arrive()
            try checkpoint("users-written")
        }
        do {
            try store.writeRecords(ordered, spools: spools)
            spoolsDone.arrive()
            try store.writeRecordUsers(linking.value().userOf)
            let (result, report, prepared) = try deciding.value()
            try store.writeDecisions(prepared)
            try writingUsers.value()
            try store.addUsers()
            try store.writeRun(runRow(result, report), id: result.runID)
            return report
        } catch {
            try? writingUsers.value()  // done with its part, which `abandon` removes
            throw error
        }
    }
}

/// Gives the payload spools back by whichever of two threads arrives last.
final class SpoolRelease: Sendable {
    private let spools: [PayloadSpool]
    private let arrivals = Locked<Int>(0)

    init(_ spools: [PayloadSpool]) {
        self.spools = spools
    }

    func arrive() {
        if arrivals.withLock({ $0 += 1; return $0 }) == 2 {
            for spool in spools { spool.release() }
        }
    }
}
