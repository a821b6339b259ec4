/// What a run needs from the output database an earlier run wrote, to keep its user
/// ids (docs/reference.md, "Tables and views"): the earlier user of each record (by appid and openid), the
/// users' creation times, and the aliases.
///
/// Who held each (appid, openid) is not kept as such: the earlier accounts are matched
/// to the linked records as they are read (`EarlierAccountMatcher`), so a run holds one
/// number per record instead of a million openids.
public struct EarlierState: Sendable {
    /// Earlier users' ids, and their `created_at` (Unix seconds or `Record.noTime`).
    public var users: [UserID] = []
    public var createdAt: [Int64] = []
    /// The earlier user (an index into `users`) of each record of the ordered records this
    /// state was read for, in canonical order, or -1; empty when none matched.
    public var holders: [Int32] = []
    public var aliases: [Alias] = []
    /// The id this run gets in `runs`: one more than the last earlier run's.
    public var runID = 1

    public init() {}

    /// The index of `id` in `users` (which is sorted), by binary search.
    public func userIndex(of id: UserID) -> Int? {
        var low = 0, high = users.count
        while low < high {
            let middle = (low + high) / 2
            if users[middle] < id { low = middle + 1 } else { high = middle }
        }
        return low < users.count && users[low] == id ? low : nil
    }
}

/// Finds the records (in canonical order) of the earlier accounts given to it in (appid, openid) byte
/// order, as SQLite's `ORDER BY appid, openid` gives them: a merge of two lists sorted
/// the same way (records in canonical order start with appid and openid).
///
/// - Complexity: O(n + m) for n records and m accounts.
public struct EarlierAccountMatcher {
    private let ordered: OrderedRecords
    private let appRank: [Int32]
    private var next = 0
    /// The earlier user of each record, or -1.
    public private(set) var holders: [Int32] = []

    public init(ordered: OrderedRecords, job: Job) {
        self.ordered = ordered
        appRank = Reconciler.ranks(job.apps.map(\.appid))
    }

    /// Gives the records of app `app` (an index into `Job.apps`) with this openid to the
    /// earlier user `user`. Accounts must come in order.
    public mutating func add(app: Int32, openid: UnsafeBufferPointer<UInt8>, user: Int32) {
        let records = ordered.records
        ordered.arena.withUnsafeBufferPointer { text in
            while next < records.count {
                let record = records[next]
                let order = compare(app, openid, record, text)
                if order > 0 { next += 1; continue }
                if order == 0 {
                    if holders.isEmpty { holders = [Int32](repeating: -1, count: records.count) }
                    holders[next] = user
                    // Records share an (appid, openid) when an export repeats one.
                    next += 1
                    continue
                }
                break
            }
        }
    }

    /// Where the account sorts against `record`: below zero when before it.
    private func compare(_ app: Int32, _ openid: UnsafeBufferPointer<UInt8>, _ record: Record,
                         _ text: UnsafeBufferPointer<UInt8>) -> Int {
        let a = appRank[Int(app)], b = appRank[Int(record.app)]
        if a != b { return a < b ? -1 : 1 }
        let length = Int(record.openid.length)
        let common = min(openid.count, length)
        let order = common == 0 ? 0 : Reconciler.memcmpBytes(openid.baseAddress!, text.baseAddress! + Int(record.openid.offset), common)
        return order != 0 ? order : openid.count - length
    }
}

/// An earlier id that lives on under another user's id.
public struct Alias: Sendable, Equatable {
    public var old: UserID
    public var user: UserID
    /// The run that made or last rewrote the alias.
    public var runID: Int

    public init(old: UserID, user: UserID, runID: Int) {
        self.old = old
        self.user = user
        self.runID = runID
    }
}

/// What changed against the earlier output (docs/reference.md, "report.json keys"): the report's "changes" section.
public struct Changes: Codable, Sendable, Equatable {
    public struct Merged: Codable, Sendable, Equatable {
        public var userId: String
        /// Earlier ids that now live on under `userId`, made aliases by this run.
        public var aliases: [String]

        public init(userId: String, aliases: [String]) {
            self.userId = userId
            self.aliases = aliases
        }
    }

    public struct Split: Codable, Sendable, Equatable {
        public var earlierId: String
        /// The users now holding the earlier user's records; the first keeps its id.
        public var parts: [String]

        public init(earlierId: String, parts: [String]) {
            self.earlierId = earlierId
            self.parts = parts
        }
    }

    public var earlierUsers: Int
    /// Users none of whose records were in the earlier output.
    public var new: Int
    /// Users that kept an earlier id and absorbed no other earlier user.
    public var kept: Int
    /// Users that absorbed other earlier users (the first 50 listed).
    public var mergedCount: Int
    public var merged: [Merged]
    /// Earlier users that became aliases in this run.
    public var aliased: Int
    /// Earlier users whose records now fall into several users (the first 50 listed).
    public var splitCount: Int
    public var split: [Split]
    /// Earlier users none of whose records are in the new inputs (the first 50 listed).
    public var goneCount: Int
    public var gone: [String]

    public init(earlierUsers: Int, new: Int, kept: Int, mergedCount: Int, merged: [Merged], aliased: Int,
                splitCount: Int, split: [Split], goneCount: Int, gone: [String]) {
        self.earlierUsers = earlierUsers
        self.new = new
        self.kept = kept
        self.mergedCount = mergedCount
        self.merged = merged
        self.aliased = aliased
        self.splitCount = splitCount
        self.split = split
        self.goneCount = goneCount
        self.gone = gone
    }

    /// The share of earlier users that were merged away, split or gone, in percent.
    public var changedPercent: Double {
        earlierUsers == 0 ? 0 : Double(aliased + splitCount + goneCount) * 100 / Double(earlierUsers)
    }
}
