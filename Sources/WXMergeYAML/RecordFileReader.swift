internal import WXMergeCore
#if canImport(Glibc)
import Glibc
#endif

/// Streams one record file (docs/reference.md, "Record files") through libyaml, event by event: checks its
/// shape, normalises each record's values, keeps what reconciliation needs in compact
/// form, spools the payload, and sets aside what cannot be used with a reason.
final class RecordFileReader {
    /// A document's defaults and the records still waiting for them.
    struct Document {
        var appid: (value: [UInt8], mark: Mark)?
        var source: String?
        var platform: [UInt8]?
        var firstRecord = 0
    }

    static let pending: Int32 = -2

    let job: Job
    let reader: YAMLEventReader
    let fileIndex: Int32
    let spool: PayloadSpool
    let stem: String
    private let progress: ReadProgress?
    let appByID: [[UInt8]: Int32]
    let platformByID: [[UInt8]: Int32]
    let buffer: RecordBuffer
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    var result = FileRecords()
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    var document = Document()

    // Scratch for the record being read, reused from record to record.
    let values = FieldValues(fields: Field.allCases.count)
    /// A bit per `Field`: the record has the field.
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    var present: UInt32 = 0
    /// The record's app and platform as `validate()` found them in the job, or `pending`.
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    var app = RecordFileReader.pending
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    var platform = RecordFileReader.pending
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    var attributes = AttributeMembers()

    init(job: Job, path: String, displayPath: String, fileIndex: Int32, buffer: RecordBuffer,
         spool: PayloadSpool, progress: ReadProgress?) throws {
        self.job = job
        self.buffer = buffer
        self.fileIndex = fileIndex
        self.spool = spool
        self.progress = progress
        reader = try YAMLEventReader(path: path, displayPath: displayPath, progress: progress)
        buffer.spans.reserveCapacity(reader.fileSize / 200)
        let name = displayPath.split(separator: "/").last.map(String.init) ?? displayPath
        stem = name.firstIndex(of: ".").map { String(name[..<$0]) } ?? name
        var apps: [[UInt8]: Int32] = [:]
        for (index, app) in job.apps.enumerated() { apps[Array(app.appid.utf8)] = Int32(index) }
        appByID = apps
        var platforms: [[UInt8]: Int32] = [:]
        for (index, platform) in job.platforms.enumerated() { platforms[Array(platform.id.utf8)] = Int32(index) }
        platformByID = platforms
    }

    /// Reads the whole file.
    /// - Throws: `InputError` (invalid data) for a file that is not valid YAML or not of the
    ///   shape docs/reference.md, "Record files" allows, 66 when it cannot be read.
    func read() throws -> FileRecords {
        try reader.next()
        while true {
            try reader.next()
            switch reader.kind {
            case .documentStart:
                try readDocument()
            case .streamEnd:
                return finish()
            default:
                throw fileError(RecordMessage.topLevelShape)
            }
        }
    }

    private func finish() -> FileRecords {
        for (key, tally) in unknownKeyTallies {
            result.warnings[RecordMessage.unknownKey(key)] = WarningTally(
                .unknownKey, message: RecordMessage.unknownKey(key), count: tally.count,
                first: tally.first.location(in: reader.displayPath))
        }
        result.bytes = reader.bytesRead
        progress?.add(records: result.read % 4096)
        progress?.fileDone()
        return result
    }

    private func fileError(_ message: String, at mark: Mark? = nil) -> InputError {
        InputError(.invalidData,
                   [.error(at: (mark ?? reader.start).location(in: reader.displayPath), message)])
    }

    // MARK: Documents

    private func readDocument() throws {
        document = Document(firstRecord: buffer.count)
        buffer.spans.removeAll(keepingCapacity: true)
        try reader.next()
        switch reader.kind {
        case .sequenceStart:
            try readRecords()
        case .mappingStart:
            try readTopMapping()
        case .scalar where reader.isNullScalar:
            break
        default:
            throw fileError(RecordMessage.topLevelShape)
        }
        try reader.next()  // document end
        resolveDocument()
    }

    private func readTopMapping() throws {
        let mappingStart = reader.start
        var seen = Set<String>()
        try reader.next()
        while reader.kind != .mappingEnd {
            guard reader.kind == .scalar else { throw fileError(RecordMessage.nonScalarTopLevelKey) }
            let key = reader.scalarText
            let keyMark = reader.start
            guard seen.insert(key).inserted else { throw fileError(RecordMessage.duplicateTopLevelKey(key)) }
            try reader.next()
            switch key {
            case "records":
                if reader.kind == .sequenceStart {
                    try readRecords()
                } else if !reader.isNullScalar {
                    throw fileError(RecordMessage.recordsNotASequence)
                }
            case "source", "appid", "platform":
                guard reader.kind == .scalar else { throw fileError(RecordMessage.defaultNotAScalar(key)) }
                if !reader.isNullScalar {
                    switch key {
                    case "source": document.source = reader.scalarText
                    case "appid": document.appid = (Array(reader.scalar), reader.start)
                    default: document.platform = Array(reader.scalar)
                    }
                }
            default:
                throw fileError(RecordMessage.unknownTopLevelKey(key), at: keyMark)
            }
            try reader.next()
        }
        if !seen.contains("records") { throw fileError(RecordMessage.missingRecords, at: mappingStart) }
    }

    private func readRecords() throws {
        try reader.next()
        while reader.kind != .sequenceEnd {
            try readRecord()
            try reader.next()
        }
    }

    /// Applies the document's defaults to its records, rejecting those still without a
    /// usable appid or platform.
    private func resolveDocument() {
        let first = document.firstRecord
        guard first < buffer.count else { return }
        let defaultApp: Int32? = document.appid.flatMap { appByID[$0.value] }
        let defaultAppReason: String? = document.appid.map {
            App.isWellFormedAppID($0.value) ? RecordMessage.unlistedAppID : RecordMessage.malformedAppID
        }
        let defaultPlatform: Int32? = document.platform.flatMap { platformByID[$0] }
        let source = buffer.sourceID(document.source ?? stem)
        var kept = first
        for index in first..<buffer.count {
            var record = buffer[index]
            let span = buffer.spans[index - first]
            var reason: String?
            if record.app == Self.pending {
                if let defaultApp {
                    record.app = defaultApp
                } else {
                    reason = defaultAppReason ?? RecordMessage.missingAppID
                }
            }
            if reason == nil, record.platform == Self.pending {
                if document.platform != nil {
                    if let defaultPlatform { record.platform = defaultPlatform } else { reason = RecordMessage.unlistedPlatform }
                } else {
                    record.platform = UnionIDRule.platform(ofApp: job.apps[Int(record.app)])
                }
            }
            if let reason {
                reject(reason, start: span.start, end: span.end)
                continue
            }
            if record.source == Self.pending { record.source = source }
            if UnionIDRule.lacksPlatform(record) {
                warn(.unionidWithoutPlatform, RecordMessage.unionidWithoutPlatform, at: span.start)
            }
            buffer[kept] = record
            kept += 1
        }
        buffer.removeRecords(from: kept)
    }

    // MARK: Records

    private func readRecord() throws {
        let start = reader.start
        result.read += 1
        if result.read % 4096 == 0 { progress?.add(records: 4096) }
        guard reader.kind == .mappingStart else {
            try reader.skipNode()
            reject(RecordMessage.notAMapping, start: start, end: reader.end)
            return
        }
        present = 0
        values.removeAll()
        attributes.removeAll()
        var reason: String?

        try reader.next()
        while reader.kind != .mappingEnd {
            guard reader.kind == .scalar else {
                reason = reason ?? RecordMessage.nonScalarKey
                try reader.skipNode()
                try reader.next()
                try skipValue()
                try reader.next()
                continue
            }
            let field = Field.named(reader.scalar)
            let unknownKey = field == nil ? attributes.appendKey(reader.scalar) : 0..<0
            try reader.next()
            if let field {
                if isPresent(field) {
                    reason = reason ?? RecordMessage.duplicateKey(field.name)
                    try skipValue()
                } else if field == .attributes {
                    if reader.kind == .mappingStart {
                        try readMembers()
                        present |= field.bit
                    } else if !reader.isNullScalar {
                        reason = reason ?? RecordMessage.attributesNotAMapping
                        try reader.skipNode()
                    }
                } else if reader.kind == .scalar {
                    present |= field.bit
                    let isNull = reader.isNullScalar && !Self.isID(field)
                    values.set(field.rawValue, isNull ? UnsafeBufferPointer(start: nil, count: 0) : reader.scalar)
                } else {
                    reason = reason ?? RecordMessage.notAScalar(field.name)
                    try reader.skipNode()
                }
            } else {
                let value = attributes.bytes.count
                try JSONWriter.appendNode(reader, to: &attributes.bytes)
                attributes.members.append((unknownKey, value..<attributes.bytes.count, false))
            }
            try reader.next()
        }
        let end = reader.end
        if reason == nil {
            reason = validate()
        }
        if let reason {
            reject(reason, start: start, end: end)
            return
        }
        for member in attributes.members where !member.isExplicit {
            warnUnknownKey(String(decoding: attributes.bytes[member.key], as: UTF8.self), at: start)
        }
        try accept(start: start, end: end)
    }

    private func skipValue() throws {
        try reader.skipNode()
    }

    /// Spellings of `is_snapshotuser` that make a record a snapshot user's.
    static let snapshotFlags = ["1", "true", "True", "TRUE"].map { Array($0.utf8) }
    /// Spellings of `phone_verified` that mean yes.
    /// (Arrays, not sets: comparing a few short spellings costs less than hashing one.)
    static let verifiedFlags = ["true", "True", "TRUE", "yes", "Yes", "YES", "on", "1"].map { Array($0.utf8) }

    static let idFields = [Field.openid, .unionid, .legacyID]

    private static func isID(_ field: Field) -> Bool {
        field == .openid || field == .unionid || field == .legacyID || field == .appid || field == .source
            || field == .platform
    }

    /// Reads the `attributes` mapping's members into `attributes`.
    private func readMembers() throws {
        try reader.next()
        while reader.kind != .mappingEnd {
            let key: Range<Int>
            if reader.kind == .scalar {
                key = attributes.appendKey(reader.scalar)
            } else {
                let start = attributes.bytes.count
                try JSONWriter.appendNode(reader, to: &attributes.bytes)
                key = start..<attributes.bytes.count
            }
            try reader.next()
            let value = attributes.bytes.count
            try JSONWriter.appendNode(reader, to: &attributes.bytes)
            attributes.members.append((key, value..<attributes.bytes.count, true))
            try reader.next()
        }
    }

    // MARK: Rejections and warnings

    func reject(_ reason: String, start: Mark, end: Mark) {
        result.rejections.append(Rejection(
            location: start.location(in: reader.displayPath),
            end: end.location(in: reader.displayPath), reason: reason))
    }

    /// Unknown keys are counted by key and turned into warnings once, at the end of the
    /// file: a message made per record would cost more than the record.
    private var unknownKeyTallies: [String: (count: Int, first: Mark)] = [:]

    private func warnUnknownKey(_ key: String, at mark: Mark) {
        if let tally = unknownKeyTallies[key] {
            unknownKeyTallies[key] = (tally.count + 1, tally.first)
        } else {
            unknownKeyTallies[key] = (1, mark)
        }
    }

    func warn(_ kind: WarningKind, _ message: String, at mark: Mark) {
        if result.warnings[message] != nil {
            result.warnings[message]!.count += 1
        } else {
            result.warnings[message] = WarningTally(kind, message: message, count: 1,
                                                    first: mark.location(in: reader.displayPath))
        }
    }
}
