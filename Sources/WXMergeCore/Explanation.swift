/// Everything `wxmerge explain` tells about the users a key leads to: their surviving
/// fields and where each came from, their records, the links that made each one user,
/// and the conflicts and suggestions that touch them. Plain data, read from an output
/// database; personal values are already masked unless the user asked for them.
public struct Explanation: Codable, Sendable, Equatable {
    public struct Field: Codable, Sendable, Equatable {
        public var field: String
        public var value: String
        public var recordId: Int
        public var policy: String

        public init(field: String, value: String, recordId: Int, policy: String) {
            self.field = field
            self.value = value
            self.recordId = recordId
            self.policy = policy
        }
    }

    public struct ExplainedRecord: Codable, Sendable, Equatable {
        public var recordId: Int
        public var appid: String
        public var appType: String
        public var openid: String
        public var unionid: String?
        public var platform: String?
        public var source: String
        public var legacyId: String?
        public var nickname: String?
        public var phone: String?
        public var email: String?
        public var updatedAt: String?
        public var location: String
        public var originalAppid: String?
        public var originalOpenid: String?

        public init(recordId: Int, appid: String, appType: String, openid: String, unionid: String?, platform: String?,
                    source: String, legacyId: String?, nickname: String?, phone: String?, email: String?,
                    updatedAt: String?, location: String, originalAppid: String?, originalOpenid: String?) {
            self.recordId = recordId
            self.appid = appid
            self.appType = appType
            self.openid = openid
            self.unionid = unionid
            self.platform = platform
            self.source = source
            self.legacyId = legacyId
            self.nickname = nickname
            self.phone = phone
            self.email = email
            self.updatedAt = updatedAt
            self.location = location
            self.originalAppid = originalAppid
            self.originalOpenid = originalOpenid
        }
    }

    /// A link or a conflict between two records, with the rule and the key.
    public struct Edge: Codable, Sendable, Equatable {
        public var rule: String
        public var key: String
        public var recordA: Int
        public var recordB: Int
        /// For conflicts: the constraint and `refused` or `kept`.
        public var constraint: String?
        public var resolution: String?

        public init(rule: String, key: String, recordA: Int, recordB: Int, constraint: String? = nil, resolution: String? = nil) {
            self.rule = rule
            self.key = key
            self.recordA = recordA
            self.recordB = recordB
            self.constraint = constraint
            self.resolution = resolution
        }
    }

    public struct SuggestedPair: Codable, Sendable, Equatable {
        public var rule: String
        public var key: String
        public var userA: String
        public var userB: String

        public init(rule: String, key: String, userA: String, userB: String) {
            self.rule = rule
            self.key = key
            self.userA = userA
            self.userB = userB
        }
    }

    public struct ExplainedUser: Codable, Sendable, Equatable {
        public var userId: String
        /// Earlier ids that now lead to this user.
        public var aliases: [String]
        public var recordCount: Int
        public var appCount: Int
        public var createdAt: String?
        public var updatedAt: String?
        public var fields: [Field]
        public var records: [ExplainedRecord]
        public var links: [Edge]
        public var conflicts: [Edge]
        public var suggestions: [SuggestedPair]

        public init(userId: String, aliases: [String], recordCount: Int, appCount: Int, createdAt: String?,
                    updatedAt: String?, fields: [Field], records: [ExplainedRecord], links: [Edge],
                    conflicts: [Edge], suggestions: [SuggestedPair]) {
            self.userId = userId
            self.aliases = aliases
            self.recordCount = recordCount
            self.appCount = appCount
            self.createdAt = createdAt
            self.updatedAt = updatedAt
            self.fields = fields
            self.records = records
            self.links = links
            self.conflicts = conflicts
            self.suggestions = suggestions
        }
    }

    public var key: String
    public var users: [ExplainedUser]

    public init(key: String, users: [ExplainedUser]) {
        self.key = key
        self.users = users
    }
}
