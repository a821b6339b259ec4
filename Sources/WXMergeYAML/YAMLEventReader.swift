internal import CYAML
import WXMergeCore
#if canImport(Glibc)
import Glibc
#endif

/// A position libyaml reports, 0-based as libyaml counts (characters, not bytes).
struct Mark: Equatable {
    var line: Int
    var column: Int

    init(_ mark: yaml_mark_t) {
        line = Int(mark.line)
        column = Int(mark.column)
    }

    init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    func location(in file: String) -> SourceLocation {
        SourceLocation(file: file, line: line + 1, column: column + 1)
    }
}

/// The kinds of libyaml event the readers act on.
enum EventKind: Equatable {
    case streamStart, streamEnd, documentStart, documentEnd
    case sequenceStart, sequenceEnd, mappingStart, mappingEnd
    case scalar, alias
}

/// Reads a file as a stream of libyaml events, one at a time, never a tree.
///
/// Owns the parser struct on the heap (libyaml keeps pointers into it, so it must not
/// move) and the file descriptor, and feeds libyaml through a read handler that also
/// counts the bytes for progress. After `next()`, `start`, `end` and,
/// for a scalar, `scalar` and `isPlainScalar` describe the event; the event is kept
/// until the next call, so the scalar's bytes are read where libyaml put them.
final class YAMLEventReader {
    /// The path as messages show it (relative to the job folder).
    let displayPath: String
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let fd: Int32
    private var readFailure: Int32 = 0
    private let progress: ReadProgress?
    private(set) var bytesRead = 0
    /// The file's size when it was opened.
    let fileSize: Int

    private(set) var kind = EventKind.streamStart
    private(set) var start = Mark(line: 0, column: 0)
    /// Where the event starts, in characters from the start of what was read.
    private(set) var startIndex = 0
    /// Whether the sequence the event starts is in block style (not `[…]`).
    private(set) var isBlockSequence = false
    private(set) var end = Mark(line: 0, column: 0)
    private var event = yaml_event_t()
    /// The current scalar's bytes (valid until the next call to `next()`).
    private(set) var scalar = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    private(set) var isPlainScalar = false

    private let sharedFile: SharedFile?

    /// Opens `path`; a missing, unreadable or non-regular file is exit 66.
    /// - Parameters:
    ///   - offset: where in the file to start reading (marks count from there).
    ///   - sharedFile: told how far the file has been read, for a thread that may take its tail.
    init(path: String, displayPath: String, progress: ReadProgress? = nil, offset: Int = 0,
         sharedFile: SharedFile? = nil) throws {
        self.displayPath = displayPath
        self.progress = progress
        self.sharedFile = sharedFile
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        var info = stat()
        guard fd >= 0, fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            let code = fd < 0 ? errno : EISDIR
            if fd >= 0 { close(fd) }
            throw RunFailure(exitCode: RunFailure.missingInput,
                             [.error(at: nil, RecordMessage.cannotRead(displayPath, code))])
        }
        self.fd = fd
        fileSize = Int(info.st_size)
        if offset > 0, lseek(fd, off_t(offset), SEEK_SET) < 0 {
            let code = errno
            close(fd)
            throw RunFailure(exitCode: RunFailure.missingInput, [.error(at: nil, RecordMessage.cannotRead(displayPath, code))])
        }
        parser = .allocate(capacity: 1)
        guard yaml_parser_initialize(parser) == 1 else {
            parser.deallocate()
            close(fd)
            throw RunFailure(exitCode: RunFailure.dataError, [.error(at: nil, RecordMessage.parserOutOfMemory)])
        }
        yaml_parser_set_input(parser, { data, buffer, size, sizeRead in
            let reader = Unmanaged<YAMLEventReader>.fromOpaque(data!).takeUnretainedValue()
            return reader.fill(buffer!, size: size, sizeRead: sizeRead!)
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        yaml_event_delete(&event)
        yaml_parser_delete(parser)
        parser.deallocate()
        close(fd)
    }

    private func fill(_ buffer: UnsafeMutablePointer<UInt8>, size: Int, sizeRead: UnsafeMutablePointer<Int>) -> Int32 {
        while true {
            let n = read(fd, buffer, size)
            if n < 0 {
                if errno == EINTR { continue }
                readFailure = errno
                return 0
            }
            sizeRead.pointee = n
            if n > 0 {
                bytesRead += n
                progress?.add(bytes: n)
                sharedFile?.readUpTo(bytesRead)
            }
            return 1
        }
    }

    /// Moves to the next event.
    /// - Throws: a `RunFailure` (exit 65) at libyaml's problem mark, with its context
    ///   as a note, when the file is not valid YAML; exit 66 when reading failed.
    func next() throws {
        yaml_event_delete(&event)
        scalar = UnsafeBufferPointer(start: nil, count: 0)
        guard yaml_parser_parse(parser, &event) == 1 else {
            throw failure()
        }
        start = Mark(event.start_mark)
        startIndex = Int(event.start_mark.index)
        end = Mark(event.end_mark)
        switch event.type {
        case YAML_STREAM_START_EVENT: kind = .streamStart
        case YAML_STREAM_END_EVENT: kind = .streamEnd
        case YAML_DOCUMENT_START_EVENT: kind = .documentStart
        case YAML_DOCUMENT_END_EVENT: kind = .documentEnd
        case YAML_SEQUENCE_START_EVENT:
            kind = .sequenceStart
            isBlockSequence = event.data.sequence_start.style != YAML_FLOW_SEQUENCE_STYLE
        case YAML_SEQUENCE_END_EVENT: kind = .sequenceEnd
        case YAML_MAPPING_START_EVENT: kind = .mappingStart
        case YAML_MAPPING_END_EVENT: kind = .mappingEnd
        case YAML_ALIAS_EVENT: kind = .alias
        case YAML_SCALAR_EVENT:
            kind = .scalar
            scalar = UnsafeBufferPointer(start: event.data.scalar.value, count: event.data.scalar.length)
            isPlainScalar = event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE
        default:
            kind = .streamEnd
        }
    }

    /// The current scalar as a String.
    var scalarText: String { String(decoding: scalar, as: UTF8.self) }

    /// Whether the current scalar is YAML's null: a plain `~`, `null` or nothing.
    var isNullScalar: Bool {
        kind == .scalar && isPlainScalar && Self.isNull(scalar)
    }

    /// Whether a plain scalar's text is one of YAML's spellings of null.
    static func isNull(_ text: some Collection<UInt8>) -> Bool {
        switch text.count {
        case 0: return true
        case 1: return text.first == UInt8(ascii: "~")
        case 4: return text.elementsEqual("null".utf8) || text.elementsEqual("Null".utf8) || text.elementsEqual("NULL".utf8)
        default: return false
        }
    }

    /// Skips the rest of the node whose first event is the current one, leaving the
    /// reader on its last event.
    func skipNode() throws {
        var depth = 0
        while true {
            switch kind {
            case .sequenceStart, .mappingStart: depth += 1
            case .sequenceEnd, .mappingEnd: depth -= 1
            default: break
            }
            if depth == 0 { return }
            try next()
        }
    }

    private func failure() -> RunFailure {
        if readFailure != 0 {
            return RunFailure(exitCode: RunFailure.missingInput,
                              [.error(at: nil, RecordMessage.cannotRead(displayPath, readFailure))])
        }
        let problem = parser.pointee.problem.map { String(cString: $0) } ?? "invalid YAML"
        var location = Mark(parser.pointee.problem_mark).location(in: displayPath)
        if parser.pointee.error == YAML_READER_ERROR {
            // The reader reports a byte offset, not a line and column.
            location = Mark(parser.pointee.mark).location(in: displayPath)
        }
        var notes: [Diagnostic.Note] = []
        if let context = parser.pointee.context {
            notes.append(.init(location: Mark(parser.pointee.context_mark).location(in: displayPath),
                               message: String(cString: context)))
        }
        return RunFailure(exitCode: RunFailure.dataError, [.error(at: location, problem, notes: notes)])
    }
}
