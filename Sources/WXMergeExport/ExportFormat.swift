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

    /// Appends `user` in this format to `out`; `identity` is the chosen one
    /// (`ExportOptions.identity(of:)`).
    func append(_ user: ExportedUser, identity: String?, options: ExportOptions, to out: inout [UInt8]) {
        switch self {
        case .jsonl:
            jsonl(user, to: &out)
            out.append(0x0A)
        case .csv: csv(user, to: &out)
        case .keycloak: keycloak(user, identity: identity, options: options, to: &out)
        case .authing: authing(user, options: options, to: &out)
        }
    }

    private func jsonl(_ user: ExportedUser, to out: inout [UInt8]) {
        var object = JSONObject(&out)
        object.string("user_id", user.id, &out)
        object.string("nickname", user.nickname, &out)
        object.string("avatar_url", user.avatarURL, &out)
        object.string("phone", user.phone, &out)
        object.string("email", user.email, &out)
        object.string("created_at", user.createdAt, &out)
        object.string("updated_at", user.updatedAt, &out)
        object.key("identities", &out)
        out.append(UInt8(ascii: "["))
        for (index, identity) in user.identities.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            var member = JSONObject(&out)
            member.string("appid", identity.appid, &out)
            member.string("app_type", identity.appType, &out)
            member.string("platform", identity.platform, &out)
            member.string("openid", identity.openid, &out)
            member.string("unionid", identity.unionid, &out)
            member.close(&out)
        }
        out.append(UInt8(ascii: "]"))
        object.close(&out)
    }

    private func csv(_ user: ExportedUser, to out: inout [UInt8]) {
        for identity in user.identities {
            let fields = [user.id, user.nickname, user.avatarURL, user.phone, user.email, user.createdAt, user.updatedAt,
                          identity.appid, identity.appType, identity.platform, identity.openid, identity.unionid]
            for (index, field) in fields.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                if let field { Self.appendCSVField(field, to: &out) }
            }
            out.append(contentsOf: [0x0D, 0x0A])
        }
    }

    /// RFC 4180, 2.6 and 2.7: a field with a comma, a quote or a line break is quoted, its
    /// quotes doubled.
    static func appendCSVField(_ value: String, to out: inout [UInt8]) {
        let special: (UInt8) -> Bool = { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        guard value.utf8.contains(where: special) else {
            out.append(contentsOf: value.utf8)
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Keycloak's UserRepresentation
    /// (https://www.keycloak.org/docs-api/latest/javadocs/org/keycloak/representations/idm/UserRepresentation.html):
    /// `username`, `enabled`, `email`, `emailVerified`, `createdTimestamp` (milliseconds),
    /// `attributes` (a map of lists of strings) and `federatedIdentities`, each a
    /// FederatedIdentityRepresentation
    /// (https://www.keycloak.org/docs-api/latest/javadocs/org/keycloak/representations/idm/FederatedIdentityRepresentation.html):
    /// `identityProvider` (the provider's alias), `userId` (the user's id at the provider),
    /// `userName`.
    private func keycloak(_ user: ExportedUser, identity: String?, options: ExportOptions, to out: inout [UInt8]) {
        var object = JSONObject(&out)
        object.string("username", user.id, &out)
        object.raw("enabled", "true", &out)
        object.string("email", user.email, &out)
        object.raw("emailVerified", "false", &out)
        if var created = user.createdAt, let seconds = created.withUTF8({ Normalization.time($0) }) {
            object.raw("createdTimestamp", String(seconds * 1000), &out)
        }
        object.key("attributes", &out)
        var attributes = JSONObject(&out)
        var unionids: [String] = []
        for unionid in user.identities.compactMap(\.unionid) where !unionids.contains(unionid) { unionids.append(unionid) }
        for (name, values) in [("phone", [user.phone].compactMap { $0 }), ("nickname", [user.nickname].compactMap { $0 }),
                               ("avatar_url", [user.avatarURL].compactMap { $0 }), ("unionids", unionids),
                               ("openids", user.identities.map { $0.appid + ":" + $0.openid })] where !values.isEmpty {
            attributes.strings(name, values, &out)
        }
        attributes.close(&out)
        if let identity {
            object.key("federatedIdentities", &out)
            out.append(UInt8(ascii: "["))
            var federated = JSONObject(&out)
            federated.string("identityProvider", options.idpAlias, &out)
            federated.string("userId", identity, &out)
            federated.string("userName", user.nickname ?? user.id, &out)
            federated.close(&out)
            out.append(UInt8(ascii: "]"))
        }
        object.close(&out)
    }

    /// Authing's user-creation input, CreateUserInput (its management SDK's
    /// `users.create(userInfo)`,
    /// https://docs.authing.cn/v2/reference/sdk-for-node/management/UsersManagementClient.html):
    /// `externalId`, `nickname`, `photo`, `phone`, `phoneVerified`, `email`, `unionid`,
    /// `openid`, `signedUp`.
    private func authing(_ user: ExportedUser, options: ExportOptions, to out: inout [UInt8]) {
        let unionid = options.platform.flatMap(user.unionid(of:)) ?? user.identities.first { $0.unionid != nil }?.unionid
        var object = JSONObject(&out)
        object.string("externalId", user.id, &out)
        object.string("nickname", user.nickname, &out)
        object.string("photo", user.avatarURL, &out)
        object.string("phone", user.phone, &out)
        object.raw("phoneVerified", user.phone != nil && user.phoneVerified ? "true" : "false", &out)
        object.string("email", user.email, &out)
        object.string("unionid", unionid, &out)
        object.string("openid", options.appid.flatMap(user.openid(in:)), &out)
        object.string("signedUp", user.createdAt, &out)
        object.close(&out)
    }
}

/// A JSON object written member by member straight into the output; nil values are left
/// out.
struct JSONObject {
    private var isFirst = true

    init(_ out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
    }

    /// Starts a member; its value follows.
    mutating func key(_ name: String, _ out: inout [UInt8]) {
        if !isFirst { out.append(UInt8(ascii: ",")) }
        isFirst = false
        JSONText.appendString(name.utf8, to: &out)
        out.append(UInt8(ascii: ":"))
    }

    mutating func string(_ name: String, _ value: String?, _ out: inout [UInt8]) {
        guard let value else { return }
        key(name, &out)
        JSONText.appendString(value.utf8, to: &out)
    }

    mutating func strings(_ name: String, _ values: [String], _ out: inout [UInt8]) {
        key(name, &out)
        out.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.appendString(value.utf8, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// A member whose value is JSON already.
    mutating func raw(_ name: String, _ json: String, _ out: inout [UInt8]) {
        key(name, &out)
        out.append(contentsOf: json.utf8)
    }

    func close(_ out: inout [UInt8]) {
        out.append(UInt8(ascii: "}"))
    }
}
