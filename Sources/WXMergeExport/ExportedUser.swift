package import WXMergeStore

/// A merged user as an export writes it: the surviving profile and every WeChat identity
/// of the user (docs/reference.md, "Export").
public struct ExportedUser: Sendable, Equatable {
    /// One record's WeChat identity.
    public struct Identity: Sendable, Equatable {
        public var appid: String
        public var appType: String
        public var platform: String?
        public var openid: String
        public var unionid: String?
    }

    public var id: String
    public var nickname: String?
    public var avatarURL: String?
    public var phone: String?
    /// Whether the surviving phone's record said the phone was verified.
    public var phoneVerified: Bool
    public var email: String?
    /// Times as wxmerge writes them (`YYYY-MM-DDTHH:MM:SSZ`).
    public var createdAt: String?
    public var updatedAt: String?
    /// In record order.
    public var identities: [Identity]

    /// The unionid the user has on `platform`: that of its first record with one.
    public func unionid(of platform: String) -> String? {
        identities.first { $0.platform == platform && $0.unionid != nil }?.unionid
    }

    /// The openid the user has in app `appid`: that of its first record of the app.
    public func openid(in appid: String) -> String? {
        identities.first { $0.appid == appid }?.openid
    }

    /// Each user of `output`, one at a time, in the order of their numbers (that of their
    /// first record in canonical order), with its identities: the rows are read as they
    /// come, so memory holds one user whatever their number.
    package static func forEach(in output: any OutputQueries, _ body: (ExportedUser) throws -> Void) throws {
        var current: ExportedUser?
        // The stores share these tables (docs/reference.md, "Tables and views"): one row
        // per record, in user number order (the index on record_users(user_number) gives
        // it, records in order within each user). A user's surviving fields come from
        // records of its own, so each is taken from its record's row as it passes,
        // without a lookup.
        try output.forEachRow("""
            SELECT u.user_id, u.created_at, u.updated_at,
                   CASE WHEN r.record_id = u.nickname_record THEN r.nickname END,
                   CASE WHEN r.record_id = u.avatar_url_record THEN r.avatar_url END,
                   CASE WHEN r.record_id = u.phone_record THEN r.phone END,
                   CASE WHEN r.record_id = u.phone_record THEN r.phone_verified END,
                   CASE WHEN r.record_id = u.email_record THEN r.email END,
                   r.appid, r.app_type, r.platform, r.openid, r.unionid
            FROM user_rows u
            JOIN record_users ru ON ru.user_number = u.user_number
            JOIN record_rows r ON r.record_id = ru.record_id
            ORDER BY u.user_number, r.record_id
            """, []) { row in
            guard let id = row[0], let appid = row[8], let appType = row[9], let openid = row[11] else { return }
            if current?.id != id {
                if let current { try body(current) }
                current = ExportedUser(id: id, nickname: nil, avatarURL: nil, phone: nil, phoneVerified: false, email: nil,
                                       createdAt: row[1], updatedAt: row[2], identities: [])
            }
            if let nickname = row[3] { current!.nickname = nickname }
            if let avatarURL = row[4] { current!.avatarURL = avatarURL }
            if let phone = row[5] { current!.phone = phone }
            if let verified = row[6] { current!.phoneVerified = verified == "1" }
            if let email = row[7] { current!.email = email }
            current!.identities.append(Identity(appid: appid, appType: appType, platform: row[10], openid: openid, unionid: row[12]))
        }
        if let current { try body(current) }
    }
}
