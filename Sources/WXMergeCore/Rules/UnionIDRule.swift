/// Rule 2, unionid (docs/reference.md, "Rules"): the same (platform, unionid) is the same person across the
/// apps bound to one Open Platform account.
///
/// - Key: scope the record's platform, value its unionid. A record's platform is the
///   one its export names, else its app's (`platform(ofApp:)`); a record with a unionid
///   and no platform has no key, and its file gets a warning.
/// - Setting: `rules.unionid` (on unless set to false).
/// - Constraints: a link that breaks one is refused.
public enum UnionIDRule: LinkingRule {
    static let rule = Rule.unionid

    static func key(of record: Record) -> RuleKey? {
        record.platform >= 0 && !record.unionid.isMissing
            ? RuleKey(scope: .platform(record.platform), value: record.unionid) : nil
    }

    static func setting(in rules: Rules) -> RuleSetting { rules.unionid ? .links : .off }

    /// The platform of a record of `app` whose export names none: the app's, or -1.
    public static func platform(ofApp app: App) -> Int32 {
        app.platform.map(Int32.init) ?? -1
    }

    /// Whether `record` holds a unionid that cannot link, for want of a platform.
    public static func lacksPlatform(_ record: Record) -> Bool {
        record.platform < 0 && !record.unionid.isMissing
    }
}
