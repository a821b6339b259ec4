public import WXMergeCore
import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Everything read from a job's record files.
public struct ReadResult: Sendable {
    public var records = RecordSet()
    /// Rejections sorted by file, line and column, raw text filled in.
    public var rejections: [Rejection] = []
    /// Warnings, most frequent first.
    public var warnings: [WarningTally] = []
    public var read = 0
    public var bytes = 0
}

/// Reads a job's record files, in parallel across files (one parser per file, one
/// reader thread per core), and merges what they held. The result never depends on
/// which thread read which file.
public struct RecordReader {
    public let job: Job
    public let files: [InputFile]
    public let workers: Int

    /// - Parameter workers: reader threads; by default one per core (never more than files).
    public init(job: Job, files: [InputFile], workers: Int? = nil) {
        self.job = job
        self.files = files
        self.workers = max(1, min(workers ?? ProcessInfo.processInfo.activeProcessorCount, files.count))
    }

    /// - Parameter spoolFolder: where the payload spools go (unlinked on creation).
    public func read(spoolFolder: String, progress: ReadProgress? = nil) throws -> (ReadResult, [PayloadSpool]) {
        let spools = try (0..<workers).map { try PayloadSpool(index: UInt16($0), folder: spoolFolder) }
        let job = self.job
        let files = self.files
        let schedule = files.indices.sorted { files[$0].size > files[$1].size }
        let next = Atomic<Int>(0)
        let merged = Mutex(MergedFiles(files: files))
        let failures = Mutex<[Int: RunFailure]>([:])
        // Room in each for what a thread can be expected to read when it takes the next
        // file only once it is idle: its share, and a largest file more (all of the
        // input at most). The joined arrays have room for the whole input: a thread that
        // read more than that grows its arrays by copying, as arrays do.
        let totalBytes = files.reduce(0) { $0 + $1.size }
        let share = min(totalBytes, totalBytes / workers + (files.map(\.size).max() ?? 0))
        nonisolated(unsafe) let buffers = (0..<workers).map { _ in RecordBuffer(reservingFor: share) }
        // The first thread out of files keeps its arrays at the join, and readies room in
        // them for the others' records while they read their last files.
        let firstDone = Atomic<Int>(-1)
        let workers = self.workers
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var bytesRead = 0
            while true {
                let slot = next.add(1, ordering: .relaxed).oldValue
                guard slot < schedule.count else {
                    let buffer = buffers[worker]
                    buffer.spans = []
                    if workers > 1, bytesRead > 0, firstDone.compareExchange(
                        expected: -1, desired: worker, ordering: .relaxed).exchanged {
                        // As many records in all as the records a byte read so far (by
                        // every thread) suggest, with as many bytes of text each as here.
                        let (records, bytes) = progress.map { ($0.records, $0.bytes) } ?? (buffer.records.count, bytesRead)
                        let total = Int(Double(records) * Double(totalBytes) / Double(max(bytes, 1)))
                        buffer.readyRoom(records: total,
                                         textBytes: buffer.arena.count * total / max(buffer.records.count, 1))
                    }
                    return
                }
                let index = schedule[slot]
                bytesRead += files[index].size
                let failure: RunFailure
                do {
                    let reader = try RecordFileReader(
                        job: job, path: files[index].path, displayPath: files[index].displayPath,
                        fileIndex: Int32(index), buffer: buffers[worker], spool: spools[worker], progress: progress)
                    var part = try reader.read()
                    if !part.rejections.isEmpty {
                        RawText.fill(&part.rejections, from: files[index].path)
                    }
                    merged.withLock { $0.add(part) }
                    continue
                } catch let error as RunFailure {
                    failure = error
                } catch {
                    failure = RunFailure(exitCode: RunFailure.dataError, [.error(at: nil, "\(error)")])
                }
                failures.withLock { $0[index] = failure }
                next.store(schedule.count, ordering: .relaxed)
            }
        }
        for spool in spools { try spool.finishWriting() }
        if let (_, failure) = failures.withLock({ $0.min { $0.key < $1.key } }) {
            throw failure
        }
        let keeper = firstDone.load(ordering: .relaxed)
        return (merged.withLock { $0.finish(buffers, keeping: keeper >= 0 ? buffers[keeper] : nil) }, spools)
    }
}

/// The record files' contents merged into one `ReadResult`: each file's rejections
/// and warnings as it is read, the threads' records at the end. Nothing depends on which
/// thread read which file, or in what order: the records are put in canonical order
/// later (their file and position break every tie), sources are numbered in byte order
/// at the end, and rejections and warnings are sorted.
private struct MergedFiles: ~Copyable {
    private var result = ReadResult()
    private var warnings: [String: WarningTally] = [:]

    init(files: [InputFile]) {
        result.records.files = files.map(\.displayPath)
    }

    mutating func add(_ part: FileRecords) {
        result.rejections += part.rejections
        for (message, tally) in part.warnings {
            if let seen = warnings[message] {
                warnings[message]!.count += tally.count
                warnings[message]!.first = min(seen.first, tally.first)
            } else {
                warnings[message] = tally
            }
        }
        result.read += part.read
        result.bytes += part.bytes
    }

    /// The merged result, moved out. The arrays of `keeper` (the buffer that readied
    /// room for the others') are kept when they have room for all, else the fullest
    /// buffer's (they have room for the others' as a rule); the others' records are
    /// appended to them.
    mutating func finish(_ buffers: [RecordBuffer], keeping keeper: RecordBuffer?) -> ReadResult {
        let (records, bytes) = buffers.reduce((0, 0)) { ($0.0 + $1.records.count, $0.1 + $1.arena.count) }
        var buffers = buffers.sorted { $0.records.count > $1.records.count }
        if let keeper, keeper.records.capacity >= records, keeper.arena.capacity >= bytes {
            buffers = [keeper] + buffers.filter { $0 !== keeper }
        }
        // The fullest buffer's sources number the others' too.
        let first = buffers[0]
        swap(&result.records.records, &first.records)
        swap(&result.records.arena, &first.arena)
        result.records.records.reserveCapacity(records)
        result.records.arena.reserveCapacity(bytes)
        for buffer in buffers.dropFirst() {
            // Each array is let go as soon as it is copied: the end of the read is the
            // run's highest point of memory but for the write.
            let base = UInt32(result.records.arena.count)
            result.records.arena.append(contentsOf: buffer.arena)
            buffer.arena = []
            let sourceIDs = buffer.sources.map(first.sourceID)
            func rebase(_ ref: TextRef) -> TextRef {
                ref.isMissing ? ref : TextRef(offset: ref.offset + base, length: ref.length)
            }
            for var record in buffer.records {
                record.source = sourceIDs[Int(record.source)]
                record.openid = rebase(record.openid)
                record.unionid = rebase(record.unionid)
                record.legacyID = rebase(record.legacyID)
                record.phoneKey = rebase(record.phoneKey)
                record.emailKey = rebase(record.emailKey)
                result.records.records.append(record)
            }
            buffer.records = []
        }
        let sources = first.sources
        let order = sources.indices.sorted { sources[$0].precedesInByteOrder(sources[$1]) }
        if order != Array(sources.indices) {
            var rank = [Int32](repeating: 0, count: sources.count)
            for (position, id) in order.enumerated() { rank[id] = Int32(position) }
            for index in result.records.records.indices {
                result.records.records[index].source = rank[Int(result.records.records[index].source)]
            }
        }
        result.records.sources = order.map { sources[$0] }
        result.rejections.sort { $0.location < $1.location }
        result.warnings = warnings.values.sorted { ($1.count, $0.message) < ($0.count, $1.message) }
        var done = ReadResult()
        swap(&done, &result)
        return done
    }
}

/// Cuts a rejected record's text out of its file, from the start of its node to its
/// end, by line and column (libyaml counts characters, not bytes).
enum RawText {
    static func fill(_ rejections: inout [Rejection], from path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        // The lines the rejections span, in order: the file is walked once, line by line,
        // and a line is kept when it is the next one needed.
        let needed = Array(Set(rejections.flatMap { Array($0.location.line...max($0.location.line, $0.end.line)) })).sorted()
        let lastLine = needed.last ?? 0
        var nextNeeded = 0
        func isNeeded(_ lineNumber: Int) -> Bool { nextNeeded < needed.count && needed[nextNeeded] == lineNumber }
        // Lines are found with memchr in a buffer read at a time: the file may be large,
        // the rejections few.
        var lines: [Int: [Unicode.Scalar]] = [:]
        var line: [UInt8] = []
        var lineNumber = 1
        func endLine() {
            if isNeeded(lineNumber) {
                var scalars = Array(String(decoding: line, as: UTF8.self).unicodeScalars)
                if scalars.count >= 2, scalars[scalars.count - 2] == "\r", scalars.last == "\n" {
                    scalars.remove(at: scalars.count - 2)  // a CRLF file's raw text reads as LF
                }
                lines[lineNumber] = scalars
                nextNeeded += 1
            }
            line.removeAll(keepingCapacity: true)
            lineNumber += 1
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        reading: while lineNumber <= lastLine {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            var offset = 0
            while offset < count {
                guard lineNumber <= lastLine else { break reading }
                let newline = memchr(buffer.baseAddress! + offset, Int32(UInt8(ascii: "\n")), count - offset)
                let end = newline.map { UnsafeRawPointer(buffer.baseAddress!).distance(to: UnsafeRawPointer($0)) + 1 } ?? count
                if isNeeded(lineNumber) { line.append(contentsOf: buffer[offset..<end]) }
                offset = end
                if newline != nil { endLine() }
            }
        }
        if lineNumber <= lastLine { endLine() }  // the last line, without a newline
        for index in rejections.indices {
            let start = rejections[index].location
            let end = rejections[index].end
            var text = String.UnicodeScalarView()
            for line in start.line...max(start.line, end.line) {
                guard let scalars = lines[line] else { continue }
                let from = line == start.line ? min(start.column - 1, scalars.count) : 0
                let to = line == end.line ? min(max(end.column - 1, from), scalars.count) : scalars.count
                text.append(contentsOf: scalars[from..<to])
            }
            var raw = String(text)
            while let last = raw.last, last.isWhitespace { raw.removeLast() }
            rejections[index].raw = raw
        }
    }
}
