/// A reason to link two records (SPEC §3, "Rules"), in the fixed order they are applied.
public enum Rule: String, Sendable, CaseIterable, Codable, Comparable {
    /// Same (appid, openid): the same WeChat account. Never refused.
    case openid
    /// Same (platform, unionid): the same person across one Open Platform account's apps.
    case unionid
    /// Same (source, legacy_id): the same user row of one legacy system.
    case legacyAccount = "legacy_account"
    /// Same phone (E.164): verified ones only, or any, as `rules.phone` says.
    case phone
    /// Same email, trimmed and lowercased.
    case email

    /// Whether the rule's keys are personal data, masked in reports and messages.
    public var isPersonal: Bool { self == .phone || self == .email }

    public static func < (lhs: Rule, rhs: Rule) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The constraint a link would break (SPEC §3, "Constraints").
public enum Constraint: String, Sendable, Codable {
    case oneOpenIDPerApp = "one openid per appid"
    case oneUnionIDPerPlatform = "one unionid per platform"
}

/// A link that joined two components: one edge of the spanning forest that explains
/// why a user is one user. Records are canonical indexes (record_id - 1).
public struct Link: Sendable, Equatable {
    public var rule: Rule
    public var a: Int32
    public var b: Int32

    public init(rule: Rule, a: Int32, b: Int32) {
        self.rule = rule
        self.a = a
        self.b = b
    }
}

/// A pair of users that a `suggest` rule would join, for a person to review. Records are
/// the first record of each user holding the key.
public struct Suggestion: Sendable, Equatable {
    public var rule: Rule
    public var a: Int32
    public var b: Int32

    public init(rule: Rule, a: Int32, b: Int32) {
        self.rule = rule
        self.a = a
        self.b = b
    }
}

/// A phone or email that never links: on more than `generic_limit` people after rules
/// 1 to 3, or a placeholder (SPEC §3, "Generic identifiers").
public struct GenericIdentifier: Sendable, Equatable {
    public var rule: Rule
    /// A record holding the value, for its text.
    public var record: Int32
    /// How many people (users after rules 1 to 3) hold it.
    public var people: Int

    public init(rule: Rule, record: Int32, people: Int) {
        self.rule = rule
        self.record = record
        self.people = people
    }
}

/// A link that broke a constraint: `refused` for rules 2 and later, `kept` for rule 1.
public struct Conflict: Sendable, Equatable {
    public enum Resolution: String, Sendable, Codable {
        case refused, kept
    }

    public var rule: Rule
    public var a: Int32
    public var b: Int32
    public var constraint: Constraint
    public var resolution: Resolution

    public init(rule: Rule, a: Int32, b: Int32, constraint: Constraint, resolution: Resolution) {
        self.rule = rule
        self.a = a
        self.b = b
        self.constraint = constraint
        self.resolution = resolution
    }
}
