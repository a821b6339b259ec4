/// Rewrites the records of migrated official accounts (docs/reference.md, "Migrations"): a record
/// of a migration's `from` app whose openid the mapping knows moves to the `to` app and
/// its new openid, keeping the pair it was exported with. Its unionid stays scoped to
/// the old app's platform, which the reader already set. Unmapped records stay as
/// they were.
public struct Migrator {
    /// What one migration did, for the report.
    public struct Counts: Sendable, Equatable, Codable {
        public var from: String
        public var to: String
        /// Records rewritten to the new app and openid.
        public var mapped: Int
        /// Records of the old app left as they were: no item, or an item with an error.
        public var unmapped: Int
        /// Items of the mapping that map nothing (an error message, or incomplete).
        public var erroredItems: Int
    }

    public let job: Job

    public init(job: Job) {
        self.job = job
    }

    /// - Parameter maps: for each of `job.migrations`, old openid -> new openid and the
    ///   number of its items that map nothing.
    public func apply(_ set: inout RecordSet, maps: [(newOpenID: [String: String], erroredItems: Int)]) -> [Counts] {
        var counts = job.migrations.enumerated().map { index, migration in
            Counts(from: job.apps[migration.from].appid, to: job.apps[migration.to].appid,
                   mapped: 0, unmapped: 0, erroredItems: maps[index].erroredItems)
        }
        guard !job.migrations.isEmpty else { return counts }
        let migrationOfApp = Dictionary(job.migrations.enumerated().map { (Int32($1.from), $0) }) { first, _ in first }
        for index in set.records.indices {
            guard let migration = migrationOfApp[set.records[index].app] else { continue }
            let record = set.records[index]
            guard let old = set.text(record.openid), let new = maps[migration].newOpenID[old] else {
                counts[migration].unmapped += 1
                continue
            }
            var rewritten = record
            rewritten.originalApp = record.app
            rewritten.originalOpenID = record.openid
            rewritten.app = Int32(job.migrations[migration].to)
            rewritten.openid = TextRef(offset: UInt32(set.arena.count), length: UInt32(new.utf8.count))
            set.arena.append(contentsOf: new.utf8)
            set.records[index] = rewritten
            counts[migration].mapped += 1
        }
        return counts
    }
}
