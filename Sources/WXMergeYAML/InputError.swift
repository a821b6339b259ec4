public import WXMergeCore

/// Input that stops a run: a job file, export or openid map that is missing, unreadable,
/// or not what it must be.
public struct InputError: DiagnosedError {
    public enum Kind: Sendable {
        /// An export or openid map that is not valid YAML or not of the expected shape.
        case invalidData
        /// A file that is missing or cannot be read, or a glob that matches nothing.
        case missingFile
        /// A job file that is not valid.
        case invalidJob
    }

    public var kind: Kind
    public var diagnostics: [Diagnostic]

    public init(_ kind: Kind, _ diagnostics: [Diagnostic]) {
        self.kind = kind
        self.diagnostics = diagnostics
    }
}
