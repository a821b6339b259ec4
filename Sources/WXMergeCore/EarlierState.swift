/// What a run needs from the output database an earlier run wrote, to keep its user
/// ids (SPEC §3, "User ids"): who held each (appid, openid), the users' creation times,
/// and the aliases.
public struct EarlierState: Sendable {
    /// One (appid, openid) of an earlier record and the earlier user that held it.
    public struct Account: Sendable {
        /// Index into `Job.apps`; accounts of apps no longer in the job are left out.
        public var app: Int32
        public var openid: TextRef
        /// Index into `users`.
        public var user: Int32

        public init(app: Int32, openid: TextRef, user: Int32) {
            self.app = app
            self.openid = openid
            self.user = user
        }
    }

    /// Earlier users' ids, and their `created_at` (Unix seconds or `Record.noTime`).
    public var users: [UserID] = []
    public var createdAt: [Int64] = []
    /// Sorted by (appid, openid) in byte order, as SQLite's `ORDER BY appid, openid`.
    public var accounts: [Account] = []
    public var arena: [UInt8] = []
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

/// What changed against the earlier output (SPEC §4.2): the report's "changes" section.
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
