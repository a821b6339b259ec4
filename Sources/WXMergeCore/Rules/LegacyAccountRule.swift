/// Rule 3, legacy_account (docs/reference.md, "Rules"): the same (source, legacy_id) is the same user row of
/// one legacy system.
///
/// - Key: scope the record's source, value its legacy_id.
/// - Setting: `rules.legacy_account` (on unless set to false).
/// - Constraints: a link that breaks one is refused.
enum LegacyAccountRule: LinkingRule {
    static let rule = Rule.legacyAccount

    static func key(of record: Record) -> RuleKey? {
        record.legacyID.isMissing ? nil : RuleKey(scope: .source(record.source), value: record.legacyID)
    }

    static func setting(in rules: Rules) -> RuleSetting { rules.legacyAccount ? .links : .off }
}
