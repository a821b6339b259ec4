/// Rule 5, email (docs/reference.md, "Rules"): the same email address, trimmed and lowercased.
///
/// - Key: no scope; the value is the normalised address.
/// - Setting: `rules.email`: `true` links, `suggest` pairs users for review, `false`
///   nothing.
/// - A generic email never links: a placeholder (`isPlaceholder`) or one held by more
///   than `rules.generic_limit` people after rules 1 to 3.
/// - Constraints: a link that breaks one is refused.
enum EmailRule: ContactRule {
    static let rule = Rule.email

    static func key(of record: Record) -> RuleKey? {
        record.emailKey.isMissing ? nil : RuleKey(scope: .none, value: record.emailKey)
    }

    static func setting(in rules: Rules) -> RuleSetting {
        switch rules.email {
        case .on: .links
        case .suggest: .suggests
        case .off: .off
        }
    }

    /// An address at example.com, example.org or test.com.
    static func isPlaceholder(_ key: TextRef, in text: UnsafeBufferPointer<UInt8>) -> Bool {
        let bytes = Array(text[Int(key.offset)..<Int(key.offset) + Int(key.length)])
        guard let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { return false }
        let domain = String(decoding: bytes[(at + 1)...], as: UTF8.self)
        return ["example.com", "example.org", "test.com"].contains(domain)
    }
}
