/// Rule 1, openid (docs/reference.md, "Rules"): the same (appid, openid) is the same WeChat account.
///
/// - Key: scope the app, value the openid (after a migration, the new one).
/// - Setting: always on.
/// - Constraints: a link that breaks one is kept, and reported as a conflict: two
///   records of one account are one person whatever else they say.
enum OpenIDRule: LinkingRule {
    static let rule = Rule.openid

    static func key(of record: Record) -> RuleKey? {
        RuleKey(scope: .app(record.app), value: record.openid)
    }

    static func setting(in rules: Rules) -> RuleSetting { .links }

    static var whenConstraintBroken: Conflict.Resolution { .kept }
}
