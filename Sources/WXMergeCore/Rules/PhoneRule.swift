/// Rule 4, phone (docs/reference.md, "Rules"): the same phone number, normalised to E.164.
///
/// - Key: no scope; the value is the normalised phone.
/// - Setting: `rules.phone`: `verified` links the records whose phone is verified,
///   `any` every record, `suggest` pairs users for review, `false` nothing.
/// - A generic phone never links: a placeholder (`isPlaceholder`) or one held by more
///   than `rules.generic_limit` people after rules 1 to 3.
/// - Constraints: a link that breaks one is refused.
enum PhoneRule: ContactRule {
    static let rule = Rule.phone

    static func key(of record: Record) -> RuleKey? {
        record.phoneKey.isMissing ? nil : RuleKey(scope: .none, value: record.phoneKey)
    }

    static func setting(in rules: Rules) -> RuleSetting {
        switch rules.phone {
        case .verified: .linksOnly { $0.fields.contains(.phoneVerified) }
        case .any: .links
        case .suggest: .suggests
        case .off: .off
        }
    }

    /// A Chinese mobile whose last 8 digits are one repeated digit (`+8613800000000`).
    static func isPlaceholder(_ key: TextRef, in text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard key.length == 14 else { return false }
        let bytes = UnsafeBufferPointer(rebasing: text[Int(key.offset)..<Int(key.offset) + 14])
        guard bytes[0] == UInt8(ascii: "+"), bytes[1] == UInt8(ascii: "8"), bytes[2] == UInt8(ascii: "6") else { return false }
        return bytes[6...].allSatisfy { $0 == bytes[6] }
    }
}

/// Rules 4 and 5 (phone, email): keys held by many people can be generic, and then
/// never link.
protocol ContactRule: LinkingRule {
    /// Whether `key` is a placeholder value, generic however few people hold it.
    static func isPlaceholder(_ key: TextRef, in text: UnsafeBufferPointer<UInt8>) -> Bool
}
