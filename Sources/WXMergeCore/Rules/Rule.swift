/// A reason to link two records (docs/reference.md, "Rules"), in the fixed order they are applied.
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

    /// What the rule links on and how the job sets it: its file in Rules/.
    var definition: any LinkingRule.Type {
        switch self {
        case .openid: OpenIDRule.self
        case .unionid: UnionIDRule.self
        case .legacyAccount: LegacyAccountRule.self
        case .phone: PhoneRule.self
        case .email: EmailRule.self
        }
    }
}

/// One rule (docs/reference.md, "Rules"), each in a file of its own: the key a record links on, and how the
/// job sets the rule. Every rule is subject to both constraints (`Constraint`); what a
/// link that breaks one becomes is `whenConstraintBroken`.
protocol LinkingRule {
    static var rule: Rule { get }
    /// The key `record` links on: its scope (what comes before the colon in the key's
    /// text) and its value in the arena; nil when the record has none.
    static func key(of record: Record) -> RuleKey?
    /// Whether the job links by the rule, suggests by it, or neither.
    static func setting(in rules: Rules) -> RuleSetting
    /// What a link that would break a constraint becomes.
    static var whenConstraintBroken: Conflict.Resolution { get }
}

extension LinkingRule {
    static var whenConstraintBroken: Conflict.Resolution { .refused }
}

/// How a job sets a rule.
enum RuleSetting {
    case off
    /// Links every record of a key.
    case links
    /// Links only the records of a key that pass (`rules.phone: verified`).
    case linksOnly((Record) -> Bool)
    /// Pairs the users of a key for review, and links nothing.
    case suggests
}

/// A record's key under a rule: a scope and a value in the records' arena. Two records
/// share a key when both parts are equal.
public struct RuleKey {
    public var scope: KeyScope
    public var value: TextRef
}

/// What comes before the colon in a key: an app (its appid), a platform (its id), a
/// source; phones and emails stand alone.
public enum KeyScope: Sendable, Equatable {
    case app(Int32), platform(Int32), source(Int32)
    case none

    /// The scope as a number for grouping keys of one rule: its index (0 for `none`).
    var number: Int32 {
        switch self {
        case .app(let index), .platform(let index), .source(let index): index
        case .none: 0
        }
    }
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
/// 1 to 3, or a placeholder (docs/reference.md, "Rules").
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
