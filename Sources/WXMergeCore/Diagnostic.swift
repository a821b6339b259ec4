/// A place in an input file, 1-based, as people and editors count.
public struct SourceLocation: Sendable, Hashable, Comparable {
    /// The path relative to the job file's folder.
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// A message about the inputs, printed by the command line as
/// `file:line:column: error: message` followed by `note:` lines.
///
/// Libraries never print: they return or throw these.
public struct Diagnostic: Error, Sendable, Equatable {
    public enum Severity: String, Sendable {
        case error, warning, note
    }

    public struct Note: Sendable, Equatable {
        public var location: SourceLocation?
        public var message: String

        public init(location: SourceLocation?, message: String) {
            self.location = location
            self.message = message
        }
    }

    public var severity: Severity
    public var location: SourceLocation?
    public var message: String
    public var notes: [Note]

    public init(_ severity: Severity, at location: SourceLocation?, _ message: String, notes: [Note] = []) {
        self.severity = severity
        self.location = location
        self.message = message
        self.notes = notes
    }

    public static func error(at location: SourceLocation?, _ message: String, notes: [Note] = []) -> Diagnostic {
        Diagnostic(.error, at: location, message, notes: notes)
    }

    /// The diagnostic as the command line prints it, one line per note.
    public var formatted: String {
        var lines = [Self.line(location, severity.rawValue, message)]
        for note in notes {
            lines.append(Self.line(note.location, "note", note.message))
        }
        return lines.joined(separator: "\n")
    }

    private static func line(_ location: SourceLocation?, _ severity: String, _ message: String) -> String {
        if let location {
            return "\(location.description): \(severity): \(message)"
        }
        return "wxmerge: \(severity): \(message)"
    }
}

/// An error that says what went wrong as diagnostics. Each library throws its own type
/// of these; the command line prints any of them the same way, and it alone chooses the
/// exit code from the type and its kind.
public protocol DiagnosedError: Error, Sendable {
    var diagnostics: [Diagnostic] { get }
}
