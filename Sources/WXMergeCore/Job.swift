/// An Open Platform account: the scope of a unionid (docs/reference.md, "Job file").
public struct Platform: Sendable, Equatable {
    public var id: String
    public var subject: String?

    public init(id: String, subject: String? = nil) {
        self.id = id
        self.subject = subject
    }
}

/// The kinds of WeChat app. The raw values are the job file's spellings.
public enum AppType: String, Sendable, CaseIterable, Codable {
    case website
    case miniProgram = "mini_program"
    case miniGame = "mini_game"
    case officialAccount = "official_account"
    case mobile
}

/// One WeChat app: its appid, its type and the Open Platform account it is bound to.
public struct App: Sendable, Equatable {
    public var appid: String
    public var name: String?
    public var type: AppType
    /// Index into `Job.platforms`; nil when the app is bound to no Open Platform account.
    public var platform: Int?

    public init(appid: String, name: String?, type: AppType, platform: Int?) {
        self.appid = appid
        self.name = name
        self.type = type
        self.platform = platform
    }

    /// Whether `text` is of the form WeChat gives appids: `wx` + 16 lowercase hex digits.
    public static func isWellFormedAppID<C: Collection<UInt8>>(_ text: C) -> Bool {
        guard text.count == 18 else { return false }
        var index = text.startIndex
        guard text[index] == UInt8(ascii: "w") else { return false }
        index = text.index(after: index)
        guard text[index] == UInt8(ascii: "x") else { return false }
        index = text.index(after: index)
        while index != text.endIndex {
            let byte = text[index]
            let isHex = (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
            guard isHex else { return false }
            index = text.index(after: index)
        }
        return true
    }
}

/// `rules.phone` (docs/reference.md, "Job file"): which phones link (see `PhoneRule`).
public enum PhoneSetting: String, Sendable, CaseIterable {
    case off = "false", suggest, verified, any
}

/// `rules.email`: whether emails link (see `EmailRule`).
public enum EmailSetting: String, Sendable, CaseIterable {
    case off = "false", suggest, on = "true"
}

public struct Rules: Sendable, Equatable {
    public var unionid = true
    public var legacyAccount = true
    public var phone = PhoneSetting.off
    public var email = EmailSetting.off
    public var genericLimit = 5

    public init() {}
}

/// The fields survivorship chooses a value for.
public enum SurvivingField: String, Sendable, CaseIterable, Codable {
    case nickname
    case avatarURL = "avatar_url"
    case phone
    case email
}

public enum SurvivorshipPolicy: String, Sendable, CaseIterable, Codable {
    case mostRecent = "most_recent"
    case oldest
    case appPriority = "app_priority"
}

public struct Survivorship: Sendable, Equatable {
    public var defaultPolicy = SurvivorshipPolicy.mostRecent
    public var appPriority: [AppType] = [.mobile, .miniProgram, .website, .officialAccount, .miniGame]
    public var fields: [SurvivingField: SurvivorshipPolicy] = [:]

    public init() {}

    public func policy(for field: SurvivingField) -> SurvivorshipPolicy {
        fields[field] ?? defaultPolicy
    }
}

/// An official-account migration: every openid of `from` became one of `to`.
public struct Migration: Sendable, Equatable {
    public var from: Int
    public var to: Int
    public var openidMap: String
    public var location: SourceLocation

    public init(from: Int, to: Int, openidMap: String, location: SourceLocation) {
        self.from = from
        self.to = to
        self.openidMap = openidMap
        self.location = location
    }
}

/// A job file (docs/reference.md, "Job file"), validated: every index in it points at an existing element.
public struct Job: Sendable {
    /// The job file's path as given, and the folder its relative paths start from.
    public var path: String
    public var folder: String
    public var platforms: [Platform]
    public var apps: [App]
    /// `inputs` entries as written, with where each was written.
    public var inputs: [(pattern: String, location: SourceLocation)]
    public var database = "merged.db"
    public var report = "report"
    /// The PostgreSQL schema that holds the tables as views, when `database` is a URI.
    public var schema = "wxmerge"
    public var rules = Rules()
    public var migrations: [Migration] = []
    public var survivorship = Survivorship()

    public init(path: String, folder: String, platforms: [Platform], apps: [App],
                inputs: [(pattern: String, location: SourceLocation)]) {
        self.path = path
        self.folder = folder
        self.platforms = platforms
        self.apps = apps
        self.inputs = inputs
    }

    /// Whether `name` can be `output.schema`: lowercase letters, digits and `_`, not
    /// starting with a digit, at most 48 characters (the run's own schemas add a suffix
    /// within PostgreSQL's 63).
    public static func isSchemaName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first),
              name.utf8.count <= 48 else { return false }
        return name.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_") }
    }

    public func appIndex(of appid: String) -> Int? {
        apps.firstIndex { $0.appid == appid }
    }

    public func platformIndex(of id: String) -> Int? {
        platforms.firstIndex { $0.id == id }
    }
}
