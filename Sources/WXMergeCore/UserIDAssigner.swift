internal import Crypto

/// Gives each user its id (SPEC §3, "User ids"): `u_` + the first 24 hex digits of
/// SHA-256 of its smallest `appid:openid` key; when that id is taken, of
/// `appid:openid#2`, `#3`, …
///
/// Users are visited in the order of their first record, so which of two colliding
/// users gets the plain id never depends on input order.
struct UserIDAssigner {
    let job: Job

    /// - Parameter taken: ids already in use (an earlier output's users and aliases).
    func assign(_ users: inout [User], records: [Record], arena: [UInt8], taken: Set<UserID> = []) {
        var used = taken
        used.reserveCapacity(taken.count + users.count)
        let appids = job.apps.map { Array($0.appid.utf8) + [UInt8(ascii: ":")] }
        var key: [UInt8] = []
        for index in users.indices {
            let record = records[Int(users[index].firstRecord)]
            key.removeAll(keepingCapacity: true)
            key.append(contentsOf: appids[Int(record.app)])
            let start = Int(record.openid.offset)
            key.append(contentsOf: arena[start..<start + Int(record.openid.length)])
            var id = Self.id(of: key)
            var attempt = 2
            while used.contains(id) {
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
