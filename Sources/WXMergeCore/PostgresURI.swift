/// An output given as a PostgreSQL connection URI (docs/reference.md, "PostgreSQL"):
/// `postgresql://` or `postgres://`, as libpq reads it.
///
/// Invariant: `text` starts with one of the two schemes. `displayName` is the URI with
/// its password left out (from the user part and from a `password` parameter): what every
/// message, report and `runs` row names.
public struct PostgresURI: Sendable, Equatable {
    public let text: String

    /// nil when `text` is not a PostgreSQL URI (it is then a file path).
    public init?(_ text: String) {
        guard text.hasPrefix("postgresql://") || text.hasPrefix("postgres://") else { return nil }
        self.text = text
    }

    private var parts: (scheme: Substring, user: Substring?, password: Substring?, rest: Substring, query: [Substring]) {
        let schemeLength = text.hasPrefix("postgresql://") ? 13 : 11
        let afterScheme = text.index(text.startIndex, offsetBy: schemeLength)
        let scheme = text[..<afterScheme]
        var remainder = text[afterScheme...]
        var query: [Substring] = []
        if let mark = remainder.firstIndex(of: "?") {
            query = remainder[remainder.index(after: mark)...].split(separator: "&", omittingEmptySubsequences: false)
            remainder = remainder[..<mark]
        }
        let authorityEnd = remainder.firstIndex(of: "/") ?? remainder.endIndex
        guard let at = remainder[..<authorityEnd].lastIndex(of: "@") else {
            return (scheme, nil, nil, remainder, query)
        }
        let userInfo = remainder[..<at]
        let rest = remainder[remainder.index(after: at)...]
        guard let colon = userInfo.firstIndex(of: ":") else { return (scheme, userInfo, nil, rest, query) }
        return (scheme, userInfo[..<colon], userInfo[userInfo.index(after: colon)...], rest, query)
    }

    private static func isPassword(_ parameter: Substring) -> Bool {
        parameter.lowercased().hasPrefix("password=")
    }

    /// Whether the URI carries a password, in its user part or as a parameter.
    public var hasPassword: Bool {
        let parts = parts
        return parts.password != nil || parts.query.contains(where: Self.isPassword)
    }

    /// The URI's bytes with each byte of its passwords replaced by `x`: as long as the
    /// text, to overwrite it where it cannot be shortened (the process's arguments).
    public var maskedBytes: [UInt8] {
        let parts = parts
        var bytes = Array(text.utf8)
        var ranges: [Range<String.Index>] = []
        if let password = parts.password { ranges.append(password.startIndex..<password.endIndex) }
        for parameter in parts.query where Self.isPassword(parameter) {
            ranges.append(text.index(parameter.startIndex, offsetBy: "password=".count)..<parameter.endIndex)
        }
        for range in ranges {
            let start = text.utf8.distance(from: text.startIndex, to: range.lowerBound)
            let end = text.utf8.distance(from: text.startIndex, to: range.upperBound)
            for offset in start..<end { bytes[offset] = UInt8(ascii: "x") }
        }
        return bytes
    }

    /// The URI without its password.
    public var displayName: String {
        let parts = parts
        var name = String(parts.scheme)
        if let user = parts.user { name += user + "@" }
        name += parts.rest
        let query = parts.query.filter { !Self.isPassword($0) }
        if !query.isEmpty { name += "?" + query.joined(separator: "&") }
        return name
    }
}
