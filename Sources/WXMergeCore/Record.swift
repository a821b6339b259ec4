/// A byte range in a `RecordSet`'s text arena: how ids are held without one heap
/// allocation per string.
public struct TextRef: Sendable, Hashable, BitwiseCopyable {
    public var offset: UInt32
    public var length: UInt32

    public init(offset: UInt32, length: UInt32) {
        self.offset = offset
        self.length = length
    }

    /// No value (a missing id).
    public static let missing = TextRef(offset: 0, length: UInt32.max)

    public var isMissing: Bool { length == UInt32.max }

    /// The text this refers to in `arena`, or nil when missing.
    public func text(in arena: [UInt8]) -> String? {
        guard !isMissing else { return nil }
        let start = Int(offset)
        return String(decoding: arena[start..<start + Int(length)], as: UTF8.self)
    }
}

/// Which of a record's payload fields hold a non-blank value.
public struct FieldMask: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let nickname = FieldMask(rawValue: 1 << 0)
    public static let avatarURL = FieldMask(rawValue: 1 << 1)
    public static let phone = FieldMask(rawValue: 1 << 2)
    public static let email = FieldMask(rawValue: 1 << 3)
    public static let phoneVerified = FieldMask(rawValue: 1 << 4)

    public static func of(_ field: SurvivingField) -> FieldMask {
        switch field {
        case .nickname: .nickname
        case .avatarURL: .avatarURL
        case .phone: .phone
        case .email: .email
        }
    }
}

/// An accepted record as reconciliation sees it: what the rules, the constraints,
/// survivorship and the canonical order need, in about 80 bytes. The payload
/// (nickname, avatar, phone, email, attributes) waits in a `PayloadSpool`.
public struct Record: Sendable {
    /// Index into `Job.apps` (after migration).
    public var app: Int32
    /// Index into `Job.platforms` of the unionid's scope, or -1 for none.
    public var platform: Int32
    /// Index into `RecordSet.sources`, which is sorted, so it is also the source's rank.
    public var source: Int32
    public var openid: TextRef
    public var unionid: TextRef
    public var legacyID: TextRef
    /// The phone as E.164 and the email trimmed and lowercased, when they could be
    /// normalised: the phone and email rules' keys.
    public var phoneKey = TextRef.missing
    public var emailKey = TextRef.missing
    /// For a record rewritten by a migration: its app and openid as exported.
    public var originalApp: Int32 = -1
    public var originalOpenID = TextRef.missing
    /// Unix seconds, or `Record.noTime`.
    public var createdAt: Int64
    public var updatedAt: Int64
    /// Index into `RecordSet.files` (sorted), and the record's ordinal in its file.
    public var file: Int32
    public var ordinal: Int32
    public var line: Int32
    public var fields: FieldMask
    /// Where the payload is in the spool.
    public var payload: PayloadRef

    public static let noTime = Int64.min

    public init(app: Int32, platform: Int32, source: Int32, openid: TextRef, unionid: TextRef,
                legacyID: TextRef, createdAt: Int64, updatedAt: Int64, file: Int32, ordinal: Int32,
                line: Int32, fields: FieldMask, payload: PayloadRef) {
        self.app = app
        self.platform = platform
        self.source = source
        self.openid = openid
        self.unionid = unionid
        self.legacyID = legacyID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.file = file
        self.ordinal = ordinal
        self.line = line
        self.fields = fields
        self.payload = payload
    }
}

/// A record that cannot be used, kept whole for the `rejected` table (docs/reference.md, "Record files").
public struct Rejection: Sendable, Equatable {
    public var location: SourceLocation
    /// Where the record's node ends, to cut its raw text out of the file.
    public var end: SourceLocation
    public var reason: String
    public var raw: String

    public init(location: SourceLocation, end: SourceLocation, reason: String, raw: String = "") {
        self.location = location
        self.end = end
        self.reason = reason
        self.raw = raw
    }
}

/// A kind of input problem that keeps the record but is worth a line in the report:
/// counted, with the first place it was seen.
public struct WarningTally: Sendable {
    public var kind: WarningKind
    public var message: String
    public var count: Int
    public var first: SourceLocation

    public init(_ kind: WarningKind, message: String, count: Int, first: SourceLocation) {
        self.kind = kind
        self.message = message
        self.count = count
        self.first = first
    }

    /// The most lines of one kind printed and listed in the reports (docs/reference.md, "Record files").
    public static let linesPerKind = 20

    /// Warnings grouped by kind (the kind with the most records first; inside a kind, the
    /// message with the most records first): at most `linesPerKind` of each kind, and
    /// every kind's totals, which count what was left out too.
    public static func grouped(_ tallies: [WarningTally]) -> (shown: [WarningTally], kinds: [WarningKindTotal]) {
        var byKind: [WarningKind: [WarningTally]] = [:]
        for tally in tallies { byKind[tally.kind, default: []].append(tally) }
        let groups = byKind.map { kind, tallies in
            let shown = tallies.sorted(by: order).prefix(linesPerKind)
            return (shown: shown, total: WarningKindTotal(
                kind: kind, lines: tallies.count, records: tallies.reduce(0) { $0 + $1.count },
                shownLines: shown.count, shownRecords: shown.reduce(0) { $0 + $1.count }))
        }.sorted { ($1.total.records, $0.total.kind.rawValue) < ($0.total.records, $1.total.kind.rawValue) }
        return (groups.flatMap(\.shown), groups.map(\.total))
    }

    private static func order(_ a: WarningTally, _ b: WarningTally) -> Bool {
        (b.count, a.message) < (a.count, b.message)
    }
}

/// What a warning is about: the key or value a message names does not make a new kind.
public enum WarningKind: String, Sendable, Codable, CaseIterable {
    case unknownKey = "unknown_key"
    case unionidWithoutPlatform = "unionid_without_platform"
    case phoneNotNormalised = "phone_not_normalised"
    case emailNotNormalised = "email_not_normalised"
    case unreadableTime = "unreadable_time"
}

/// The warnings of one kind: every line (distinct message) and record, and those shown.
public struct WarningKindTotal: Sendable, Equatable, Codable {
    public var kind: WarningKind
    public var lines: Int
    public var records: Int
    public var shownLines: Int
    public var shownRecords: Int

    public var omittedLines: Int { lines - shownLines }
    public var omittedRecords: Int { records - shownRecords }

    /// The line that stands for the warnings of this kind left out.
    public var omittedText: String {
        "and \(omittedLines) more warnings of kind '\(kind.rawValue)' (\(omittedRecords) records)"
    }
}

/// Every accepted record of a run, with the arena their ids live in.
public struct RecordSet: Sendable {
    public var records: [Record] = []
    public var arena: [UInt8] = []
    /// Sources (legacy systems), sorted and unique.
    public var sources: [String] = []
    /// Input files relative to the job folder, sorted.
    public var files: [String] = []

    public init() {}

    public func text(_ ref: TextRef) -> String? {
        ref.text(in: arena)
    }
}
