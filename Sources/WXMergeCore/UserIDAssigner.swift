internal import Crypto

/// Gives each user its id (docs/reference.md, "Tables and views").
///
/// A new user's id is `u_` + the first 24 hex digits of SHA-256 of its smallest
/// `appid:openid` key; when that id is taken (by another user, an earlier user or an
/// alias), of `appid:openid#2`, `#3`, … Users are visited in the order of their first
/// record, so which of two colliding users gets the plain id never depends on input order.
///
/// With an earlier output, records are matched to earlier users by (appid, openid) and:
/// - each earlier user's records have a home: the user holding most of them (ties: the
///   one holding the smallest key); its other parts are split off and get new ids;
/// - a user that is the home of one or more earlier users keeps the id of the one with
///   the most records in it (ties: the earliest created_at, then the smallest id); the
///   others become aliases of it;
/// - earlier aliases are rewritten to point at current users; aliases of gone users go.
struct UserIDAssigner {
    let job: Job

    struct Outcome {
        var aliases: [Alias] = []
        var changes: Changes?
    }

    func assign(_ users: inout [User], records: [Record], arena: [UInt8], userOf: [Int32],
                earlier: EarlierState?) -> Outcome {
        guard let earlier else {
            assignNewIDs(&users, where: { _ in true }, records: records, arena: arena, isTaken: { _ in false })
            return Outcome()
        }
        // How many records of each earlier user each user holds, as (earlier, user) runs.
        var pairs: [UInt64] = []
        for (index, holder) in earlier.holders.enumerated() where holder >= 0 {
            pairs.append(UInt64(UInt32(holder)) << 32 | UInt64(UInt32(userOf[index])))
        }
        pairs.sort()
        var counts: [(earlier: Int32, user: Int32, count: Int)] = []
        for pair in pairs {
            let holder = Int32(pair >> 32)
            let user = Int32(truncatingIfNeeded: pair)
            if let last = counts.last, last.earlier == holder, last.user == user {
                counts[counts.count - 1].count += 1
            } else {
                counts.append((holder, user, 1))
            }
        }

        // Each earlier user's home, and where its parts start in `counts` (sorted by
        // earlier user, then user): flat arrays, no collection per user.
        var home = [Int32](repeating: -1, count: earlier.users.count)
        var homeCount = [Int](repeating: 0, count: earlier.users.count)
        var partsStart = [Int](repeating: counts.count, count: earlier.users.count + 1)
        for (index, entry) in counts.enumerated().reversed() {
            partsStart[Int(entry.earlier)] = index
        }
        for holder in stride(from: earlier.users.count - 1, through: 0, by: -1) where partsStart[holder] == counts.count {
            partsStart[holder] = partsStart[holder + 1]
        }
        for entry in counts {
            let holder = Int(entry.earlier)
            // Users are numbered by their smallest key, so the first of a tie wins.
            if entry.count > homeCount[holder] {
                home[holder] = entry.user
                homeCount[holder] = entry.count
            }
        }

        // The earlier user whose id each user keeps: of those at home in it, the one with
        // the most records there (ties: the earliest created_at, then the smallest id).
        func beats(_ a: Int, _ b: Int) -> Bool {
            if homeCount[a] != homeCount[b] { return homeCount[a] > homeCount[b] }
            let createdA = earlier.createdAt[a], createdB = earlier.createdAt[b]
            if createdA != createdB {
                if createdA == Record.noTime { return false }
                if createdB == Record.noTime { return true }
                return createdA < createdB
            }
            return earlier.users[a] < earlier.users[b]
        }
        var winner = [Int32](repeating: -1, count: users.count)
        for holder in home.indices where home[holder] >= 0 {
            let user = Int(home[holder])
            if winner[user] < 0 || beats(holder, Int(winner[user])) { winner[user] = Int32(holder) }
        }
        for user in users.indices where winner[user] >= 0 {
            users[user].id = earlier.users[Int(winner[user])]
        }

        // Earlier ids are taken: `earlier.users` is sorted; aliases are few.
        let aliasIDs = Set(earlier.aliases.map(\.old))
        func isTaken(_ id: UserID) -> Bool {
            aliasIDs.contains(id) || earlier.userIndex(of: id) != nil
        }
        assignNewIDs(&users, where: { winner[$0] < 0 }, records: records, arena: arena, isTaken: isTaken)

        // Aliases: the earlier ones rewritten to the id their user lives on under, then the
        // ones this run makes.
        func currentID(of id: UserID) -> UserID? {
            guard let holder = earlier.userIndex(of: id), home[holder] >= 0 else { return nil }
            return users[Int(home[holder])].id
        }
        var aliases: [Alias] = []
        for alias in earlier.aliases {
            guard let target = currentID(of: alias.user) else { continue }
            aliases.append(Alias(old: alias.old, user: target,
                                 runID: target == alias.user ? alias.runID : earlier.runID))
        }
        var mergedInto: [Int32: [UserID]] = [:]
        for holder in earlier.users.indices where home[holder] >= 0 {
            let id = earlier.users[holder]
            let user = home[holder]
            guard users[Int(user)].id != id else { continue }
            aliases.append(Alias(old: id, user: users[Int(user)].id, runID: earlier.runID))
            mergedInto[user, default: []].append(id)
        }
        aliases.sort { $0.old < $1.old }

        return Outcome(aliases: aliases, changes: changes(
            users: users, earlier: earlier, winner: winner, counts: counts, partsStart: partsStart, home: home,
            mergedInto: mergedInto))
    }

    private func changes(users: [User], earlier: EarlierState, winner: [Int32],
                         counts: [(earlier: Int32, user: Int32, count: Int)], partsStart: [Int],
                         home: [Int32], mergedInto: [Int32: [UserID]]) -> Changes {
        let limit = RunReport.listLimit
        var holdsEarlier = [Bool](repeating: false, count: users.count)
        for entry in counts { holdsEarlier[Int(entry.user)] = true }
        func parts(_ holder: Int) -> [Int32] { counts[partsStart[holder]..<partsStart[holder + 1]].map(\.user) }
        let merged = mergedInto.keys.sorted().map { user in
            Changes.Merged(userId: users[Int(user)].id.text, aliases: mergedInto[user]!.sorted().map(\.text))
        }
        var split: [Changes.Split] = []
        var splitCount = 0
        var gone: [String] = []
        var goneCount = 0
        for holder in earlier.users.indices {
            let partCount = partsStart[holder + 1] - partsStart[holder]
            if partCount == 0 {
                goneCount += 1
                if gone.count < limit { gone.append(earlier.users[holder].text) }
            } else if partCount > 1 {
                splitCount += 1
                if split.count < limit {
                    let ordered = [home[holder]] + parts(holder).filter { $0 != home[holder] }
                    split.append(Changes.Split(earlierId: earlier.users[holder].text,
                                               parts: ordered.map { users[Int($0)].id.text }))
                }
            }
        }
        return Changes(
            earlierUsers: earlier.users.count,
            new: holdsEarlier.count { !$0 },
            kept: winner.indices.count { winner[$0] >= 0 && mergedInto[Int32($0)] == nil },
            mergedCount: merged.count, merged: Array(merged.prefix(limit)),
            aliased: mergedInto.values.reduce(0) { $0 + $1.count },
            splitCount: splitCount, split: split, goneCount: goneCount, gone: gone)
    }

    /// Gives the users that `needsID` names their new ids.
    ///
    /// Ids almost never collide, so each user first gets the plain hash of its key; the
    /// users sorted by id show whether any two share one or one is `taken`. Only then are
    /// the ids given again one by one, in user order, each skipping to `#2`, `#3`, … past
    /// the ids taken so far. No set of a million ids is held.
    private func assignNewIDs(_ users: inout [User], where needsID: (Int) -> Bool, records: [Record],
                              arena: [UInt8], isTaken: (UserID) -> Bool) {
        let appids = job.apps.map { Array($0.appid.utf8) + [UInt8(ascii: ":")] }
        var key: [UInt8] = []
        func smallestKey(of user: Int) -> [UInt8] {
            let record = records[Int(users[user].firstRecord)]
            key.removeAll(keepingCapacity: true)
            key.append(contentsOf: appids[Int(record.app)])
            let start = Int(record.openid.offset)
            key.append(contentsOf: arena[start..<start + Int(record.openid.length)])
            return key
        }
        for index in users.indices where needsID(index) {
            users[index].id = Self.id(of: smallestKey(of: index))
        }
        // Two ids can be equal only if their first 64 bits are: those are sorted as plain
        // numbers, and whole ids compared only when two of them meet.
        var highs = users.map(\.id.high)
        highs.sort()
        let highsMeet = highs.indices.dropFirst().contains { highs[$0 - 1] == highs[$0] }
        highs = []
        let collides = (highsMeet && Set(users.map(\.id)).count < users.count)
            || users.indices.contains { needsID($0) && isTaken(users[$0].id) }
        guard collides else { return }

        var used = Set<UserID>()
        for index in users.indices where !needsID(index) { used.insert(users[index].id) }
        for index in users.indices where needsID(index) {
            let key = smallestKey(of: index)
            var id = Self.id(of: key)
            var attempt = 2
            while used.contains(id) || isTaken(id) {
                id = Self.id(of: key + Array("#\(attempt)".utf8))
                attempt += 1
            }
            used.insert(id)
            users[index].id = id
        }
    }

    static func id(of key: [UInt8]) -> UserID {
        let digest = SHA256.hash(data: key)
        return digest.withUnsafeBytes { bytes in
            var high: UInt64 = 0
            for index in 0..<8 { high = high << 8 | UInt64(bytes[index]) }
            var low: UInt32 = 0
            for index in 8..<12 { low = low << 8 | UInt32(bytes[index]) }
            return UserID(high: high, low: low)
        }
    }
}
