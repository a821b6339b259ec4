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

/// The kinds of libyaml event the readers act on. An alias never reaches them: the
/// reader replays its anchored node instead.
enum EventKind: Equatable {
    case streamStart, streamEnd, documentStart, documentEnd
    case sequenceStart, sequenceEnd, mappingStart, mappingEnd
    case scalar
}

/// Reads a file as a stream of libyaml events, one at a time, never a tree.
///
/// What docs/reference.md, "Record files" asks of every YAML file is kept here, for the job file and the record
/// files alike:
/// - nesting deeper than `maximumDepth` is a file error at the node that goes too deep.
///   It is found as the events arrive, before libyaml has scanned far past that node, so
///   the work stays linear in the file's size (libyaml's own cost per token grows with
///   the depth of flow nesting).
/// - an alias is replaced by the events of its anchored node, as if the node were written
///   out again (at the alias's position). A document whose aliases expand to more than
///   `aliasNodeBudget` nodes and more than `aliasGrowthLimit` times the nodes it writes
///   out is a file error: the expansion stays linear in the file's size.
///
/// Owns the parser struct on the heap (libyaml keeps pointers into it, so it must not
/// move) and the file descriptor, and feeds libyaml through a read handler that also
/// counts the bytes for progress. After `next()`, `start`, `end` and,
/// for a scalar, `scalar` and `isPlainScalar` describe the event; the event is kept
/// until the next call, so the scalar's bytes are read where libyaml put them.
final class YAMLEventReader {
    /// The path as messages show it (relative to the job folder).
    let displayPath: String
    /// The path as messages that name the file in their text write it (from the current folder).
    private let messagePath: String
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let fd: Int32
    @exclusivity(unchecked)  // touched once per YAML event, by the one thread that owns the reader
    private var readFailure: Int32 = 0
    private let progress: ReadProgress?
    @exclusivity(unchecked)  // touched once per YAML event, by the one thread that owns the reader
    private(set) var bytesRead = 0
    /// The file's size when it was opened.
    let fileSize: Int

    @exclusivity(unchecked)  // touched once per YAML event, by the one thread that owns the reader
    private(set) var kind = EventKind.streamStart
    @exclusivity(unchecked)  // touched once per YAML event, by the one thread that owns the reader
    private(set) var start = Mark(line: 0, column: 0)
    /// Where the event starts, in characters from the start of what was read.
    @exclusivity(unchecked)  // touched once per YAML event, by the one thread that owns the reader
    private(set) var startIndex = 0
    /// Whether the sequence the event starts is in block style (not `[…]`).
    @exclusivity(unchecked)  // touched once per YAML event, by the one thread that owns the reader
    private(set) var isBlockSequence = false
    @exclusivity(unchecked)  // touched once per YAML event, by the one thread that owns the reader
    private(set) var end = Mark(line: 0, column: 0)
    @exclusivity(unchecked)  // touched once per YAML event, by the one thread that owns the reader
    private var event = yaml_event_t()
    /// The current scalar's bytes (valid until the next call to `next()`).
    @exclusivity(unchecked)  // touched once per YAML event, by the one thread that owns the reader
    private(set) var scalar = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
    @exclusivity(unchecked)  // touched once per YAML event, by the one thread that owns the reader
    private(set) var isPlainScalar = false

    /// The deepest nesting of sequences and mappings a file may have.
    static let maximumDepth = 64
    /// Nodes an alias may expand to in a document, whatever its size.
    static let aliasNodeBudget = 10_000
    /// Past `aliasNodeBudget`, the nodes aliases expand to, per node written out.
    static let aliasGrowthLimit = 100

    /// Sequences and mappings open at the current event.
    @exclusivity(unchecked)  // touched once per YAML event, by the one thread that owns the reader
    private(set) var depth = 0
    /// Anchored nodes of the current document, by anchor, as the events an alias replays.
    private var anchors: [String: [ReplayedEvent]] = [:]
    /// Anchored nodes still open: their events so far, and their own depth.
    @exclusivity(unchecked)  // touched once per YAML event, by the one thread that owns the reader
    private var captures: [(anchor: String, events: [ReplayedEvent], depth: Int)] = []
    /// An alias's events still to be given out, in reverse order, with the alias's marks.
    @exclusivity(unchecked)  // touched once per YAML event, by the one thread that owns the reader
    private var replay: [ReplayedEvent] = []
    private var aliasStart = Mark(line: 0, column: 0)
    private var aliasEnd = Mark(line: 0, column: 0)
    @exclusivity(unchecked)  // touched once per YAML event, by the one thread that owns the reader
    private var aliasIndex = 0
    /// Where a replayed scalar's bytes are, until the next event (grown as needed).
    private var replayedScalar = UnsafeMutableBufferPointer<UInt8>(start: nil, count: 0)
    /// The current document's nodes written out, and the nodes its aliases expanded to.
    @exclusivity(unchecked)  // touched once per YAML event, by the one thread that owns the reader
    private var ownNodes = 0
    @exclusivity(unchecked)  // touched once per YAML event, by the one thread that owns the reader
    private var expandedNodes = 0

    /// One event of an anchored node, kept for the aliases that name it.
    private struct ReplayedEvent {
        var kind: EventKind
        var isBlock = false
        var isPlain = false
        var bytes: [UInt8] = []
    }

    /// Opens `path`; a missing, unreadable or non-regular file is an `InputError` (missing
    /// file).
    init(path: String, displayPath: String, progress: ReadProgress? = nil) throws {
        self.displayPath = displayPath
        messagePath = InputFile.fromHere(path)
        self.progress = progress
        // Opened without blocking, so that a FIFO is refused rather than waited on.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        var info = stat()
        guard fd >= 0, fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
              fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == 0 else {
            let code = fd < 0 ? errno : (info.st_mode & S_IFMT) == S_IFDIR ? EISDIR : EINVAL
            if fd >= 0 { close(fd) }
            throw InputError(.missingFile,
                             [.error(at: nil, RecordMessage.cannotRead(messagePath, code))])
        }
        self.fd = fd
        fileSize = Int(info.st_size)
        parser = .allocate(capacity: 1)
        guard yaml_parser_initialize(parser) == 1 else {
            parser.deallocate()
            close(fd)
            throw InputError(.invalidData, [.error(at: nil, RecordMessage.parserOutOfMemory)])
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
        replayedScalar.deallocate()
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
            }
            return 1
        }
    }

    /// Moves to the next event.
    /// - Throws: an `InputError` (invalid data) at libyaml's problem mark, with its context
    ///   as a note, when the file is not valid YAML, nests too deep, or names an anchor
    ///   it has not defined or expands its aliases past the budget; exit 66 when reading failed.
    func next() throws {
        if replay.isEmpty {
            try parse()
        } else {
            scalar = UnsafeBufferPointer(start: nil, count: 0)
            give(replay.removeLast())
        }
        switch kind {
        case .sequenceStart, .mappingStart:
            depth += 1
            if depth > Self.maximumDepth {
                throw InputError(.invalidData,
                                 [.error(at: start.location(in: displayPath), RecordMessage.tooDeep(Self.maximumDepth))])
            }
        case .sequenceEnd, .mappingEnd:
            depth -= 1
        case .documentStart:
            depth = 0
            anchors.removeAll()
            ownNodes = 0
            expandedNodes = 0
        default:
            break
        }
        if !captures.isEmpty { capture() }
    }

    /// Reads the next event from libyaml, turning an alias into its node's first event.
    private func parse() throws {
        yaml_event_delete(&event)
        scalar = UnsafeBufferPointer(start: nil, count: 0)
        guard yaml_parser_parse(parser, &event) == 1 else {
            throw failure()
        }
        start = Mark(event.start_mark)
        startIndex = Int(event.start_mark.index)
        end = Mark(event.end_mark)
        var anchor: UnsafeMutablePointer<yaml_char_t>?
        switch event.type {
        case YAML_STREAM_START_EVENT: kind = .streamStart
        case YAML_STREAM_END_EVENT: kind = .streamEnd
        case YAML_DOCUMENT_START_EVENT: kind = .documentStart
        case YAML_DOCUMENT_END_EVENT: kind = .documentEnd
        case YAML_SEQUENCE_START_EVENT:
            kind = .sequenceStart
            isBlockSequence = event.data.sequence_start.style != YAML_FLOW_SEQUENCE_STYLE
            anchor = event.data.sequence_start.anchor
            ownNodes += 1
        case YAML_SEQUENCE_END_EVENT: kind = .sequenceEnd
        case YAML_MAPPING_START_EVENT:
            kind = .mappingStart
            anchor = event.data.mapping_start.anchor
            ownNodes += 1
        case YAML_MAPPING_END_EVENT: kind = .mappingEnd
        case YAML_ALIAS_EVENT:
            try expandAlias()
            return
        case YAML_SCALAR_EVENT:
            kind = .scalar
            scalar = UnsafeBufferPointer(start: event.data.scalar.value, count: event.data.scalar.length)
            isPlainScalar = event.data.scalar.style == YAML_PLAIN_SCALAR_STYLE
            anchor = event.data.scalar.anchor
            ownNodes += 1
        default:
            kind = .streamEnd
        }
        if let anchor {
            captures.append((String(cString: anchor), [], 0))
        }
    }

    /// Starts giving out the events of the node an alias names, at the alias's position.
    private func expandAlias() throws {
        let name = event.data.alias.anchor.map { String(cString: $0) } ?? ""
        let location = start.location(in: displayPath)
        guard let events = anchors[name] else {
            throw InputError(.invalidData, [.error(at: location, RecordMessage.unknownAnchor(name))])
        }
        expandedNodes += events.count { $0.kind == .scalar || $0.kind == .sequenceStart || $0.kind == .mappingStart }
        if expandedNodes > Self.aliasNodeBudget, expandedNodes > Self.aliasGrowthLimit * ownNodes {
            throw InputError(.invalidData, [.error(at: location, RecordMessage.aliasBudget(
                Self.aliasNodeBudget, Self.aliasGrowthLimit))])
        }
        (aliasStart, aliasEnd, aliasIndex) = (start, end, startIndex)
        replay = events.reversed()
        give(replay.removeLast())
    }

    private func give(_ replayed: ReplayedEvent) {
        kind = replayed.kind
        (start, end, startIndex) = (aliasStart, aliasEnd, aliasIndex)
        switch replayed.kind {
        case .sequenceStart: isBlockSequence = replayed.isBlock
        case .scalar:
            isPlainScalar = replayed.isPlain
            if replayed.bytes.count > replayedScalar.count {
                replayedScalar.deallocate()
                replayedScalar = .allocate(capacity: replayed.bytes.count)
            }
            _ = replayedScalar.initialize(from: replayed.bytes)
            scalar = UnsafeBufferPointer(rebasing: replayedScalar[..<replayed.bytes.count])
        default: break
        }
    }

    /// Adds the current event to every anchored node still open, and keeps those it closes.
    private func capture() {
        let replayed = ReplayedEvent(kind: kind, isBlock: isBlockSequence, isPlain: isPlainScalar,
                                     bytes: kind == .scalar ? Array(scalar) : [])
        for index in captures.indices {
            captures[index].events.append(replayed)
            switch kind {
            case .sequenceStart, .mappingStart: captures[index].depth += 1
            case .sequenceEnd, .mappingEnd: captures[index].depth -= 1
            default: break
            }
        }
        while let last = captures.last, last.depth == 0 {
            anchors[last.anchor] = last.events
            captures.removeLast()
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

    private func failure() -> InputError {
        if readFailure != 0 {
            return InputError(.missingFile,
                              [.error(at: nil, RecordMessage.cannotRead(messagePath, readFailure))])
        }
        let problem = parser.pointee.problem.map { String(cString: $0) } ?? "invalid YAML"
        var location = Mark(parser.pointee.problem_mark).location(in: displayPath)
        if parser.pointee.error == YAML_READER_ERROR {
            // The reader reports the problem's byte offset, not a line and column, and its
            // mark is where the scanner is, some way before: count up to the byte.
            let offset = Int(parser.pointee.problem_offset)
            if parser.pointee.encoding != YAML_UTF16LE_ENCODING, parser.pointee.encoding != YAML_UTF16BE_ENCODING,
               let (line, column) = LineBreaks.position(ofByte: offset, inFile: fd) {
                location = Mark(line: line, column: column).location(in: displayPath)
            } else {
                location = Mark(parser.pointee.mark).location(in: displayPath)
            }
        }
        var notes: [Diagnostic.Note] = []
        if let context = parser.pointee.context {
            notes.append(.init(location: Mark(parser.pointee.context_mark).location(in: displayPath),
                               message: String(cString: context)))
        }
        return InputError(.invalidData, [.error(at: location, problem, notes: notes)])
    }
}
