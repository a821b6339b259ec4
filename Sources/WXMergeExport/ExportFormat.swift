import WXMergeCore

/// What `wxmerge export` writes (docs/reference.md, "Export"). Each format is written user
/// by user: `header`, then `user` for each, with `separator` between two, then `footer`.
public enum ExportFormat: String, Sendable, CaseIterable {
    /// One JSON object per user per line.
    case jsonl
    /// One row per identity, the user's columns repeated; RFC 4180: a header, fields that
    /// hold a comma, a quote or a line break quoted (quotes doubled), lines ended by CRLF.
    case csv
    /// A Keycloak partial-import file.
    case keycloak
    /// A JSON array of Authing user-creation inputs.
    case authing

    /// The file's usual extension.
    public var fileExtension: String {
        switch self {
        case .jsonl: "jsonl"
        case .csv: "csv"
        case .keycloak, .authing: "json"
        }
    }

    /// Whether the format needs a chosen identity (`--platform` or `--appid`).
    public var needsIdentity: Bool { self == .keycloak || self == .authing }

    static let csvColumns = ["user_id", "nickname", "avatar_url", "phone", "email", "created_at", "updated_at",
                             "appid", "app_type", "platform", "openid", "unionid"]

    func header() -> String {
        switch self {
        case .jsonl: ""
        case .csv: Self.csvColumns.joined(separator: ",") + "\r\n"
        // Keycloak's PartialImportRepresentation: `ifResourceExists` (FAIL, SKIP or
        // OVERWRITE) and `users`, a list of UserRepresentation
        // (https://www.keycloak.org/docs-api/latest/javadocs/org/keycloak/representations/idm/PartialImportRepresentation.html).
        case .keycloak: "{\"ifResourceExists\":\"SKIP\",\"users\":[\n"
        case .authing: "[\n"
        }
    }

    var separator: String {
        switch self {
        case .jsonl, .csv: ""
        case .keycloak, .authing: ",\n"
        }
    }

    func footer() -> String {
        switch self {
        case .jsonl, .csv: ""
        case .keycloak: "\n]}\n"
        case .authing: "\n]\n"
        }
    }

    /// `user` in this format; `identity` is the chosen one (`ExportOptions.identity(of:)`).
    func text(_ user: ExportedUser, identity: String?, options: ExportOptions) -> String {
        switch self {
        case .jsonl: jsonl(user) + "\n"
        case .csv: csv(user)
        case .keycloak: keycloak(user, identity: identity, options: options)
        case .authing: authing(user, options: options)
        }
    }

    private func jsonl(_ user: ExportedUser) -> String {
        let identities = user.identities.map { identity in
            JSONObject()
                .add("appid", identity.appid).add("app_type", identity.appType).add("platform", identity.platform)
                .add("openid", identity.openid).add("unionid", identity.unionid).text
        }
        return JSONObject()
            .add("user_id", user.id).add("nickname", user.nickname).add("avatar_url", user.avatarURL)
            .add("phone", user.phone).add("email", user.email).add("created_at", user.createdAt)
            .add("updated_at", user.updatedAt).add(raw: "identities", "[" + identities.joined(separator: ",") + "]").text
    }

    private func csv(_ user: ExportedUser) -> String {
        user.identities.map { identity in
            [user.id, user.nickname, user.avatarURL, user.phone, user.email, user.createdAt, user.updatedAt,
             identity.appid, identity.appType, identity.platform, identity.openid, identity.unionid]
                .map { Self.csvField($0 ?? "") }.joined(separator: ",") + "\r\n"
        }.joined()
    }

    /// RFC 4180, 2.6 and 2.7: a field with a comma, a quote or a line break is quoted, its
    /// quotes doubled.
    static func csvField(_ value: String) -> String {
        guard value.utf8.contains(where: { [UInt8(ascii: ","), UInt8(ascii: "\""), 0x0A, 0x0D].contains($0) }) else {
            return value
        }
        return "\"" + value.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }

    /// Keycloak's UserRepresentation
    /// (https://www.keycloak.org/docs-api/latest/javadocs/org/keycloak/representations/idm/UserRepresentation.html):
    /// `username`, `enabled`, `email`, `emailVerified`, `createdTimestamp` (milliseconds),
    /// `attributes` (a map of lists of strings) and `federatedIdentities`, each a
    /// FederatedIdentityRepresentation
    /// (https://www.keycloak.org/docs-api/latest/javadocs/org/keycloak/representations/idm/FederatedIdentityRepresentation.html):
    /// `identityProvider` (the provider's alias), `userId` (the user's id at the provider),
    /// `userName`.
    private func keycloak(_ user: ExportedUser, identity: String?, options: ExportOptions) -> String {
        let unionids = Array(Set(user.identities.compactMap(\.unionid))).sorted()
        let openids = user.identities.map { $0.appid + ":" + $0.openid }
        var attributes = JSONObject()
        for (name, values) in [("phone", [user.phone].compactMap { $0 }), ("nickname", [user.nickname].compactMap { $0 }),
                               ("avatar_url", [user.avatarURL].compactMap { $0 }), ("unionids", unionids),
                               ("openids", openids)] where !values.isEmpty {
            attributes = attributes.add(raw: name, "[" + values.map(JSONText.quoted).joined(separator: ",") + "]")
        }
        var object = JSONObject().add("username", user.id).add(raw: "enabled", "true").add("email", user.email)
            .add(raw: "emailVerified", "false")
        if var created = user.createdAt, let seconds = created.withUTF8({ Normalization.time($0) }) {
            object = object.add(raw: "createdTimestamp", String(seconds * 1000))
        }
        object = object.add(raw: "attributes", attributes.text)
        if let identity {
            let federated = JSONObject().add("identityProvider", options.idpAlias).add("userId", identity)
                .add("userName", user.nickname ?? user.id)
            object = object.add(raw: "federatedIdentities", "[" + federated.text + "]")
        }
        return object.text
    }

    /// Authing's user-creation input, CreateUserInput (its management SDK's
    /// `users.create(userInfo)`,
    /// https://docs.authing.cn/v2/reference/sdk-for-node/management/UsersManagementClient.html):
    /// `externalId`, `nickname`, `photo`, `phone`, `phoneVerified`, `email`, `unionid`,
    /// `openid`, `signedUp`.
    private func authing(_ user: ExportedUser, options: ExportOptions) -> String {
        let unionid = options.platform.flatMap(user.unionid(of:)) ?? user.identities.first { $0.unionid != nil }?.unionid
        return JSONObject()
            .add("externalId", user.id).add("nickname", user.nickname).add("photo", user.avatarURL)
            .add("phone", user.phone).add(raw: "phoneVerified", user.phone != nil && user.phoneVerified ? "true" : "false")
            .add("email", user.email).add("unionid", unionid).add("openid", options.appid.flatMap(user.openid(in:)))
            .add("signedUp", user.createdAt).text
    }
}

/// A JSON object written member by member; nil values are left out.
struct JSONObject {
    private var members: [String] = []

    func add(_ name: String, _ value: String?) -> JSONObject {
        guard let value else { return self }
        return add(raw: name, JSONText.quoted(value))
    }

    /// A member whose value is JSON already.
    func add(raw name: String, _ json: String) -> JSONObject {
        var object = self
        object.members.append(JSONText.quoted(name) + ":" + json)
        return object
    }

    var text: String { "{" + members.joined(separator: ",") + "}" }
}
