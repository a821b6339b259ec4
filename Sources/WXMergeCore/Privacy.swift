/// Personal values (phones, emails) are masked in reports and messages unless the user
/// asks for them with `--show-values`: only the last four characters remain (`…8000`).
public struct Privacy: Sendable {
    public var showsValues: Bool

    public init(showsValues: Bool) {
        self.showsValues = showsValues
    }

    public func mask(_ value: String) -> String {
        if showsValues { return value }
        return "…" + String(value.suffix(4))
    }
}
