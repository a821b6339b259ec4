public import WXMergeCore
#if canImport(Glibc)
import Glibc
#endif

/// What one record file held besides its records, which go into a `RecordBuffer`.
public struct FileRecords: Sendable {
    public var rejections: [Rejection] = []
    public var warnings: [String: WarningTally] = [:]
    public var read = 0
    public var bytes = 0
}

/// The records of every file one reader thread reads, in the order it read them, in
/// blocks of `SharedRecords`: a file's records go in where the last file's ended.
final class RecordBuffer {
    private let shared: SharedRecords
    /// Records held; they are numbered from 0 in the order they were added.
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    private(set) var count = 0
    /// The blocks taken, by number and where they are: record `i` is in block
    /// `i / recordsPerBlock`.
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    private var blocks: [(number: Int, room: UnsafeMutablePointer<Record>)] = []
    /// The room left in the text run being filled, and its offset in the arena.
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    private var text: UnsafeMutablePointer<UInt8>?
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    private var textOffset = 0
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    private var textLeft = 0
    /// `Record.source` of every record indexes `sources`.
    private(set) var sources: [String] = []
    private var sourceIndex: [String: Int32] = [:]
    /// Marks of a document's records, to reject one once the defaults are known;
    /// reused from document to document and from file to file.
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    var spans: [(start: Mark, end: Mark)] = []

    init(shared: SharedRecords) {
        self.shared = shared
    }

    private static let shift = SharedRecords.recordsPerBlock.trailingZeroBitCount
    private static let mask = SharedRecords.recordsPerBlock - 1

    subscript(index: Int) -> Record {
        get { blocks[index >> Self.shift].room[index & Self.mask] }
        set { blocks[index >> Self.shift].room[index & Self.mask] = newValue }
    }

    func append(_ record: Record) {
        if count >> Self.shift == blocks.count {
            let (number, room) = shared.takeRecordBlock()
            blocks.append((number, room))
        }
        (blocks[count >> Self.shift].room + (count & Self.mask)).initialize(to: record)
        count += 1
    }

    /// Keeps the first `count` records (the blocks stay taken, to be filled again).
    func removeRecords(from count: Int) {
        self.count = min(self.count, count)
    }

    /// Stores a text in the arena: where it is.
    func store(_ bytes: UnsafeBufferPointer<UInt8>) -> TextRef {
        if bytes.count > textLeft {
            let (offset, room, size) = shared.takeText(bytes.count)
            (text, textOffset, textLeft) = (room, offset, size)
        }
        if let base = bytes.baseAddress, !bytes.isEmpty {
            text!.initialize(from: base, count: bytes.count)
        }
        let ref = TextRef(offset: UInt32(textOffset), length: UInt32(bytes.count))
        text = text.map { $0 + bytes.count }
        textOffset += bytes.count
        textLeft -= bytes.count
        return ref
    }

    /// The blocks taken, and how many records each holds (from its start).
    var blocksHeld: [(block: Int, count: Int)] {
        blocks.enumerated().map { index, block in
            (block.number, min(max(count - index * SharedRecords.recordsPerBlock, 0), SharedRecords.recordsPerBlock))
        }
    }

    /// How much the buffer holds, to roll back to.
    var checkpoint: (records: Int, sources: Int) {
        (count, sources.count)
    }

    /// Drops what was added since `checkpoint` (but for payloads already spooled and texts
    /// already stored, which no record then refers to).
    func rollBack(to checkpoint: (records: Int, sources: Int)) {
        removeRecords(from: checkpoint.records)
        for source in sources[checkpoint.sources...] { sourceIndex[source] = nil }
        sources.removeSubrange(checkpoint.sources...)
    }

    func sourceID(_ name: String) -> Int32 {
        if let index = sourceIndex[name] { return index }
        let index = Int32(sources.count)
        sources.append(name)
        sourceIndex[name] = index
        return index
    }
}

/// Streams one record file (SPEC §2.2) through libyaml, event by event: checks its
/// shape, normalises each record's values, keeps what reconciliation needs in compact
/// form, spools the payload, and sets aside what cannot be used with a reason.
final class RecordFileReader {
    private enum Field: Int, CaseIterable {
        case openid, unionid, appid, source, legacyID, nickname, avatarURL, phone, phoneVerified
        case email, createdAt, updatedAt, platform, isSnapshotUser, attributes

        static let byName: [String: Field] = [
            "openid": .openid, "unionid": .unionid, "appid": .appid, "source": .source,
            "legacy_id": .legacyID, "nickname": .nickname, "avatar_url": .avatarURL, "phone": .phone,
            "phone_verified": .phoneVerified, "email": .email, "created_at": .createdAt,
            "updated_at": .updatedAt, "platform": .platform, "is_snapshotuser": .isSnapshotUser,
            "attributes": .attributes,
        ]

        var name: String { Self.byName.first { $0.value == self }!.key }

        var bit: UInt32 { 1 << UInt32(rawValue) }

        /// The field a key names, from its bytes: no String and no hashing per key. The
        /// length and the first and last bytes tell the fields apart; one `memcmp` checks.
        static func named(_ key: UnsafeBufferPointer<UInt8>) -> Field? {
            guard let first = key.first, let last = key.last else { return nil }
            let field: Field
            switch (key.count, first, last) {
            case (6, UInt8(ascii: "o"), _): field = .openid
            case (7, UInt8(ascii: "u"), _): field = .unionid
            case (5, UInt8(ascii: "a"), _): field = .appid
            case (6, UInt8(ascii: "s"), _): field = .source
            case (9, UInt8(ascii: "l"), _): field = .legacyID
            case (8, UInt8(ascii: "n"), _): field = .nickname
            case (10, UInt8(ascii: "a"), UInt8(ascii: "l")): field = .avatarURL
            case (10, UInt8(ascii: "a"), UInt8(ascii: "s")): field = .attributes
            case (5, UInt8(ascii: "p"), _): field = .phone
            case (14, UInt8(ascii: "p"), _): field = .phoneVerified
            case (5, UInt8(ascii: "e"), _): field = .email
            case (10, UInt8(ascii: "c"), _): field = .createdAt
            case (10, UInt8(ascii: "u"), _): field = .updatedAt
            case (8, UInt8(ascii: "p"), _): field = .platform
            case (15, UInt8(ascii: "i"), _): field = .isSnapshotUser
            default: return nil
            }
            let name = names[field.rawValue]
            return name.withUnsafeBufferPointer { memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 } ? field : nil
        }

        private static let names: [[UInt8]] = allCases.map { Array($0.name.utf8) }
    }

    /// Where a tail another thread reads starts (see `SharedFile`), and the column of
    /// its records' `-`.
    struct Tail {
        var offset: Int
        var column: Int
    }

    /// Thrown when the owner of a shared file reaches the line where a taken tail starts.
    private struct TailTaken: Error {}

    /// A document's defaults and the records still waiting for them.
    struct Document {
        var appid: (value: [UInt8], mark: Mark)?
        var source: String?
        var platform: [UInt8]?
        var firstRecord = 0
    }

    private static let pending: Int32 = -2

    private let job: Job
    private let reader: YAMLEventReader
    private let fileIndex: Int32
    private let spool: PayloadSpool
    private let stem: String
    private let progress: ReadProgress?
    private let appByID: [[UInt8]: Int32]
    private let platformByID: [[UInt8]: Int32]
    private let buffer: RecordBuffer
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    private var result = FileRecords()
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    private var document = Document()
    /// The file as shared with a thread that may take its tail, when this reader owns it.
    private let sharedFile: SharedFile?
    /// Whether a taken tail has been decided on.
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    private var tailSettled = false

    // Scratch for the record being read, reused from record to record.
    private let values = FieldValues(fields: Field.allCases.count)
    /// A bit per `Field`: the record has the field.
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    private var present: UInt32 = 0
    /// The record's app and platform as `validate()` found them in the job, or `pending`.
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    private var app = RecordFileReader.pending
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    private var platform = RecordFileReader.pending
    @exclusivity(unchecked)  // touched once per record or field, by the one thread that owns it
    private var attributes = AttributeMembers()

    /// - Parameters:
    ///   - sharedFile: the file as shared with threads that may take its tail.
    ///   - tail: reads only a tail of the file (`readTail`), for `adopt`.
    init(job: Job, path: String, displayPath: String, fileIndex: Int32, buffer: RecordBuffer,
         spool: PayloadSpool, progress: ReadProgress?, sharedFile: SharedFile? = nil, tail: Tail? = nil) throws {
        self.job = job
        self.buffer = buffer
        self.fileIndex = fileIndex
        self.spool = spool
        self.progress = progress
        self.sharedFile = sharedFile
        reader = try YAMLEventReader(path: path, displayPath: displayPath, progress: progress,
                                     offset: tail?.offset ?? 0, sharedFile: sharedFile)
        buffer.spans.reserveCapacity((reader.fileSize - (tail?.offset ?? 0)) / 200)
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
    ///   shape SPEC §2.2 allows, 66 when it cannot be read.
    func read() throws -> FileRecords {
        defer {
            if sharedFile?.close() == true, !tailSettled { sharedFile?.decide(.refuse) }
        }
        do {
            try reader.next()
            while true {
                try reader.next()
                switch reader.kind {
                case .documentStart:
                    try readDocument()
                case .streamEnd:
                    return finish(bytes: reader.bytesRead)
                default:
                    throw fileError(RecordMessage.topLevelShape)
                }
            }
        } catch is TailTaken {
            resolveDocument()
            return finish(bytes: sharedFile!.tail.offset)
        }
    }

    /// Reads a tail (see `SharedFile`): whether it is one block sequence at the tail's
    /// column, from its first line to the end of the file. Its records wait for `adopt`.
    func readTail(column: Int) throws -> Bool {
        try reader.next()
        try reader.next()
        guard reader.kind == .documentStart else { return false }
        document = Document(firstRecord: buffer.count)
        buffer.spans.removeAll(keepingCapacity: true)
        try reader.next()
        guard reader.kind == .sequenceStart, reader.isBlockSequence, reader.start == Mark(line: 0, column: column) else {
            return false
        }
        try readRecords()
        try reader.next()
        guard reader.kind == .documentEnd else { return false }
        try reader.next()
        return reader.kind == .streamEnd
    }

    /// Gives the tail's records the owner's document's defaults, and counts their lines and
    /// positions on from the owner's.
    func adopt(_ handoff: SharedFile.Handoff) -> FileRecords {
        var defaults = handoff.document
        defaults.firstRecord = document.firstRecord
        document = defaults
        resolveDocument()
        for index in document.firstRecord..<buffer.count {
            buffer[index].line += Int32(handoff.line)
            buffer[index].ordinal += Int32(handoff.ordinal)
        }
        var part = finish(bytes: reader.bytesRead, isWhole: false)
        for index in part.rejections.indices {
            part.rejections[index].location.line += handoff.line
            part.rejections[index].end.line += handoff.line
        }
        for key in part.warnings.keys { part.warnings[key]!.first.line += handoff.line }
        return part
    }

    private func finish(bytes: Int, isWhole: Bool = true) -> FileRecords {
        for (key, tally) in unknownKeyTallies {
            result.warnings[RecordMessage.unknownKey(key)] = WarningTally(
                .unknownKey, message: RecordMessage.unknownKey(key), count: tally.count,
                first: tally.first.location(in: reader.displayPath))
        }
        result.bytes = bytes
        progress?.add(records: result.read % 4096)
        if isWhole { progress?.fileDone() }
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
        let column = reader.isBlockSequence ? reader.start.column : -1
        sharedFile?.enterRecords(column: column)
        defer { sharedFile?.leaveRecords() }
        try reader.next()
        while reader.kind != .sequenceEnd {
            if let sharedFile, !tailSettled, let line = sharedFile.splitLine {
                try reachTail(at: line, of: sharedFile, column: column)
            }
            try readRecord()
            try reader.next()
        }
    }

    /// At an item of the records, with a tail being read from the line whose index is
    /// `line`: once there, takes the tail if it is what would be read from here, and ends
    /// the file (`TailTaken`); once past it, refuses it.
    private func reachTail(at line: Int, of sharedFile: SharedFile, column: Int) throws {
        let lineStart = reader.startIndex - reader.start.column
        guard lineStart >= line else { return }
        tailSettled = true
        guard lineStart == line, column == sharedFile.tail.column, sharedFile.awaitTail() else {
            sharedFile.decide(.refuse)
            return
        }
        sharedFile.decide(.adopt(SharedFile.Handoff(document: document, line: reader.start.line, ordinal: result.read)))
        throw TailTaken()
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
                    record.platform = job.apps[Int(record.app)].platform.map(Int32.init) ?? -1
                }
            }
            if let reason {
                reject(reason, start: span.start, end: span.end)
                continue
            }
            if record.source == Self.pending { record.source = source }
            if record.platform < 0, !record.unionid.isMissing {
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
    private static let snapshotFlags = ["1", "true", "True", "TRUE"].map { Array($0.utf8) }
    /// Spellings of `phone_verified` that mean yes.
    /// (Arrays, not sets: comparing a few short spellings costs less than hashing one.)
    private static let verifiedFlags = ["true", "True", "TRUE", "yes", "Yes", "YES", "on", "1"].map { Array($0.utf8) }

    private static let idFields = [Field.openid, .unionid, .legacyID]

    private static func isID(_ field: Field) -> Bool {
        field == .openid || field == .unionid || field == .legacyID || field == .appid || field == .source
            || field == .platform
    }

    private func isPresent(_ field: Field) -> Bool {
        present & field.bit != 0
    }

    /// The field's bytes, valid until the next record is read.
    private func value(_ field: Field) -> UnsafeBufferPointer<UInt8>? {
        isPresent(field) ? values[field.rawValue] : nil
    }

    /// The reason the record in scratch cannot be used, or nil; the app and platform it
    /// names, looked up once, in `app` and `platform`.
    private func validate() -> String? {
        app = Self.pending
        platform = Self.pending
        if let flag = value(.isSnapshotUser), Self.snapshotFlags.contains(where: { $0.elementsEqual(flag) }) {
            return RecordMessage.snapshotUser
        }
        for field in Self.idFields {
            guard let id = value(field) else { continue }
            if Normalization.isMissingID(id) {
                present &= ~field.bit
                continue
            }
            if Normalization.containsWhiteSpace(id) {
                return RecordMessage.whiteSpaceInID(field.name)
            }
            if id.count > 128 { return RecordMessage.idTooLong(field.name) }
        }
        if !isPresent(.openid) { return RecordMessage.missingOpenID }
        if let appid = value(.appid), !Normalization.isMissingID(appid) {
            guard App.isWellFormedAppID(appid) else { return RecordMessage.malformedAppID }
            guard let index = appByID[Array(appid)] else { return RecordMessage.unlistedAppID }
            app = index
        } else {
            present &= ~Field.appid.bit
        }
        if let platform = value(.platform), !Normalization.isMissingID(platform) {
            guard let index = platformByID[Array(platform)] else { return RecordMessage.unlistedPlatform }
            self.platform = index
        } else {
            present &= ~Field.platform.bit
        }
        return nil
    }

    private func accept(start: Mark, end: Mark) throws {
        let location = start
        func ref(_ field: Field) -> TextRef {
            value(field).map(buffer.store) ?? .missing
        }
        func time(_ field: Field) -> Int64 {
            guard let bytes = value(field), !Normalization.isBlank(bytes) else { return Record.noTime }
            if let seconds = Normalization.time(bytes) { return seconds }
            warn(.unreadableTime, RecordMessage.unreadableTime(field.name), at: location)
            return Record.noTime
        }
        func nonBlank(_ field: Field) -> UnsafeBufferPointer<UInt8>? {
            guard let bytes = value(field), !Normalization.isBlank(bytes) else { return nil }
            return bytes
        }

        var fields: FieldMask = []
        let nickname = nonBlank(.nickname)
        let avatar = nonBlank(.avatarURL)
        let phone = nonBlank(.phone)
        var phoneKey = TextRef.missing
        var e164: [UInt8]?
        if let phone {
            e164 = Normalization.phone(phone)
            if let e164 {
                phoneKey = e164.withUnsafeBufferPointer(buffer.store)
            } else {
                warn(.phoneNotNormalised, RecordMessage.phoneNotNormalised, at: location)
            }
        }
        let email = nonBlank(.email)
        var emailKey = TextRef.missing
        if let email {
            if let normalised = Normalization.email(email) {
                emailKey = normalised.withUnsafeBufferPointer(buffer.store)
            } else {
                warn(.emailNotNormalised, RecordMessage.emailNotNormalised, at: location)
            }
        }
        if nickname != nil { fields.insert(.nickname) }
        if avatar != nil { fields.insert(.avatarURL) }
        if phone != nil { fields.insert(.phone) }
        if email != nil { fields.insert(.email) }
        if let verified = value(.phoneVerified), Self.verifiedFlags.contains(where: { $0.elementsEqual(verified) }) {
            fields.insert(.phoneVerified)
        }

        // Payloads are bucketed by the openid's second byte (its first is almost always
        // `o`), which the records' canonical order follows within an app.
        let openid = value(.openid)
        spool.beginPayload(bucket: openid.map { $0.count > 1 ? Int($0[1]) : 0 } ?? 0)
        spool.appendField(nickname)
        spool.appendAvatar(avatar)
        if let e164 { spool.appendField(e164) } else { spool.appendField(phone) }
        spool.appendField(email)
        if attributes.members.isEmpty && !isPresent(.attributes) {
            spool.appendField(nil as [UInt8]?)
        } else {
            attributes.writeObject()
            spool.appendField(attributes.json)
        }
        let payload = try spool.endPayload()

        var source = Self.pending
        if let name = value(.source), !Normalization.isMissingID(name) {
            source = buffer.sourceID(String(decoding: name, as: UTF8.self))
        }
        var record = Record(
            app: app, platform: platform, source: source,
            openid: ref(.openid), unionid: ref(.unionid), legacyID: ref(.legacyID),
            createdAt: time(.createdAt), updatedAt: time(.updatedAt),
            file: fileIndex, ordinal: Int32(result.read - 1), line: Int32(start.line + 1),
            fields: fields, payload: payload)
        record.phoneKey = phoneKey
        record.emailKey = emailKey
        buffer.append(record)
        buffer.spans.append((start, end))
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

    private func reject(_ reason: String, start: Mark, end: Mark) {
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

    private func warn(_ kind: WarningKind, _ message: String, at mark: Mark) {
        if result.warnings[message] != nil {
            result.warnings[message]!.count += 1
        } else {
            result.warnings[message] = WarningTally(kind, message: message, count: 1,
                                                    first: mark.location(in: reader.displayPath))
        }
    }
}

/// The attributes of the record being read, kept in one buffer reused from record to
/// record: each member's raw key bytes and JSON value, and whether it came from the
/// `attributes:` mapping or from an unknown key.
private struct AttributeMembers {
    var bytes: [UInt8] = []
    var members: [(key: Range<Int>, value: Range<Int>, isExplicit: Bool)] = []
    /// The JSON object, after `writeObject()`.
    private(set) var json: [UInt8] = []
    /// Keys written so far by `writeObject()`.
    private var written: [Range<Int>] = []

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        members.removeAll(keepingCapacity: true)
    }

    mutating func appendKey(_ key: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        let start = bytes.count
        bytes.append(contentsOf: key)
        return start..<bytes.count
    }

    /// Writes the object: the `attributes:` members first, then unknown keys; of members
    /// with the same key the first written wins, so an explicit entry beats an unknown key.
    mutating func writeObject() {
        json.removeAll(keepingCapacity: true)
        json.append(UInt8(ascii: "{"))
        written.removeAll(keepingCapacity: true)
        for isExplicit in [true, false] {
            for member in members where member.isExplicit == isExplicit
                && !written.contains(where: { bytes[$0].elementsEqual(bytes[member.key]) }) {
                if !written.isEmpty { json.append(UInt8(ascii: ",")) }
                written.append(member.key)
                bytes.withUnsafeBufferPointer { JSONText.appendString(buffer: UnsafeBufferPointer(rebasing: $0[member.key]), to: &json) }
                json.append(UInt8(ascii: ":"))
                json.append(contentsOf: bytes[member.value])
            }
        }
        json.append(UInt8(ascii: "}"))
    }
}

/// The values of the record being read, field after field in one buffer that is reused
/// from record to record and read where the bytes lie. (An array a field cost a
/// uniqueness check at every write and a retain and a release at every read: a few dozen
/// calls into the runtime a record.)
private final class FieldValues {
    private var bytes: UnsafeMutableBufferPointer<UInt8>
    private var used = 0
    private let ranges: UnsafeMutableBufferPointer<Range<Int>>

    init(fields: Int) {
        bytes = .allocate(capacity: 4096)
        ranges = .allocate(capacity: fields)
        ranges.initialize(repeating: 0..<0)
    }

    deinit {
        bytes.deallocate()
        ranges.deallocate()
    }

    /// Forgets every value.
    func removeAll() {
        used = 0
    }

    /// Sets a field's value, once a record (a field set again keeps the earlier bytes
    /// until `removeAll()`).
    func set(_ field: Int, _ value: UnsafeBufferPointer<UInt8>) {
        if used + value.count > bytes.count {
            let larger = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(2 * bytes.count, used + value.count))
            _ = larger.initialize(fromContentsOf: bytes[..<used])
            bytes.deallocate()
            bytes = larger
        }
        if let base = value.baseAddress {
            UnsafeMutableRawPointer(bytes.baseAddress! + used).copyMemory(from: base, byteCount: value.count)
        }
        ranges[field] = used..<used + value.count
        used += value.count
    }

    /// A field's value as last set, valid until the next `set`.
    subscript(field: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[ranges[field]])
    }
}
