internal import WXMergeCore
#if canImport(Glibc)
import Glibc
#endif

// The record being read: which field a key names, and the scratch its values and
// attributes are kept in, reused from record to record.

/// The fields of a record (docs/reference.md, "Record files"), by the keys that name them.
enum Field: Int, CaseIterable {
    case openid, unionid, appid, source, legacyID, nickname, avatarURL, phone, phoneVerified
    case email, createdAt, updatedAt, platform, isSnapshotUser, attributes

    static let byName: [String: Field] = [
        "openid": .openid, "unionid": .unionid, "appid": .appid, "source": .source,
        "legacy_id": .legacyID, "nickname": .nickname, "avatar_url": .avatarURL, "phone": .phone,
        "phone_verified": .phoneVerified, "email": .email, "created_at": .createdAt,
        "updated_at": .updatedAt, "platform": .platform, "is_snapshotuser": .isSnapshotUser,
        "attributes": .attributes,
    ]

    var name: String { Self.byName.first { $0.value == self }!.key }

    var bit: UInt32 { 1 << UInt32(rawValue) }

    /// The field a key names, from its bytes: no String and no hashing per key. The
    /// length and the first and last bytes tell the fields apart; one `memcmp` checks.
    static func named(_ key: UnsafeBufferPointer<UInt8>) -> Field? {
        guard let first = key.first, let last = key.last else { return nil }
        let field: Field
        switch (key.count, first, last) {
        case (6, UInt8(ascii: "o"), _): field = .openid
        case (7, UInt8(ascii: "u"), _): field = .unionid
        case (5, UInt8(ascii: "a"), _): field = .appid
        case (6, UInt8(ascii: "s"), _): field = .source
        case (9, UInt8(ascii: "l"), _): field = .legacyID
        case (8, UInt8(ascii: "n"), _): field = .nickname
        case (10, UInt8(ascii: "a"), UInt8(ascii: "l")): field = .avatarURL
        case (10, UInt8(ascii: "a"), UInt8(ascii: "s")): field = .attributes
        case (5, UInt8(ascii: "p"), _): field = .phone
        case (14, UInt8(ascii: "p"), _): field = .phoneVerified
        case (5, UInt8(ascii: "e"), _): field = .email
        case (10, UInt8(ascii: "c"), _): field = .createdAt
        case (10, UInt8(ascii: "u"), _): field = .updatedAt
        case (8, UInt8(ascii: "p"), _): field = .platform
        case (15, UInt8(ascii: "i"), _): field = .isSnapshotUser
        default: return nil
        }
        let name = names[field.rawValue]
        return name.withUnsafeBufferPointer { memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 } ? field : nil
    }

    private static let names: [[UInt8]] = allCases.map { Array($0.name.utf8) }
}

/// The attributes of the record being read, kept in one buffer reused from record to
/// record: each member's raw key bytes and JSON value, and whether it came from the
/// `attributes:` mapping or from an unknown key.
struct AttributeMembers {
    var bytes: [UInt8] = []
    var members: [(key: Range<Int>, value: Range<Int>, isExplicit: Bool)] = []
    /// The JSON object, after `writeObject()`.
    private(set) var json: [UInt8] = []
    /// Keys written so far by `writeObject()`.
    private var written: [Range<Int>] = []

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        members.removeAll(keepingCapacity: true)
    }

    mutating func appendKey(_ key: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        let start = bytes.count
        bytes.append(contentsOf: key)
        return start..<bytes.count
    }

    /// Writes the object: the `attributes:` members first, then unknown keys; of members
    /// with the same key the first written wins, so an explicit entry beats an unknown key.
    mutating func writeObject() {
        json.removeAll(keepingCapacity: true)
        json.append(UInt8(ascii: "{"))
        written.removeAll(keepingCapacity: true)
        for isExplicit in [true, false] {
            for member in members where member.isExplicit == isExplicit
                && !written.contains(where: { bytes[$0].elementsEqual(bytes[member.key]) }) {
                if !written.isEmpty { json.append(UInt8(ascii: ",")) }
                written.append(member.key)
                bytes.withUnsafeBufferPointer { JSONText.appendString(buffer: UnsafeBufferPointer(rebasing: $0[member.key]), to: &json) }
                json.append(UInt8(ascii: ":"))
                json.append(contentsOf: bytes[member.value])
            }
        }
        json.append(UInt8(ascii: "}"))
    }
}

/// The values of the record being read, field after field in one buffer that is reused
/// from record to record and read where the bytes lie. (An array a field cost a
/// uniqueness check at every write and a retain and a release at every read: a few dozen
/// calls into the runtime a record.)
final class FieldValues {
    private var bytes: UnsafeMutableBufferPointer<UInt8>
    private var used = 0
    private let ranges: UnsafeMutableBufferPointer<Range<Int>>

    init(fields: Int) {
        bytes = .allocate(capacity: 4096)
        ranges = .allocate(capacity: fields)
        ranges.initialize(repeating: 0..<0)
    }

    deinit {
        bytes.deallocate()
        ranges.deallocate()
    }

    /// Forgets every value.
    func removeAll() {
        used = 0
    }

    /// Sets a field's value, once a record (a field set again keeps the earlier bytes
    /// until `removeAll()`).
    func set(_ field: Int, _ value: UnsafeBufferPointer<UInt8>) {
        if used + value.count > bytes.count {
            let larger = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(2 * bytes.count, used + value.count))
            _ = larger.initialize(fromContentsOf: bytes[..<used])
            bytes.deallocate()
            bytes = larger
        }
        if let base = value.baseAddress {
            UnsafeMutableRawPointer(bytes.baseAddress! + used).copyMemory(from: base, byteCount: value.count)
        }
        ranges[field] = used..<used + value.count
        used += value.count
    }

    /// A field's value as last set, valid until the next `set`.
    subscript(field: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[ranges[field]])
    }
}
