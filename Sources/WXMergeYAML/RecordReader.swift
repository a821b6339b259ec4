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

/// Reads a job's record files, in parallel across files (one reader thread per core, one
/// parser per file, and a second for the end of a file that a thread out of files shares),
/// and merges what they held. The result never depends on which thread read which file.
public struct RecordReader {
    public let job: Job
    public let files: [InputFile]
    public let workers: Int
    /// Records expected a byte of input, for the room reserved for them (more take
    /// memory of their own, and are then copied once).
    var recordsPerInputByte = 1.0 / 192

    /// - Parameter workers: reader threads; by default one per core (never more than files).
    public init(job: Job, files: [InputFile], workers: Int? = nil) {
        self.job = job
        self.files = files
        self.workers = max(1, min(workers ?? ProcessInfo.processInfo.activeProcessorCount, files.count))
    }

    /// - Parameter spoolFolder: where the payload spools go (unlinked on creation).
    public func read(spoolFolder: String, progress: ReadProgress? = nil) throws -> (ReadResult, [PayloadSpool]) {
        let spools = try (0..<workers).map { try PayloadSpool(index: UInt16($0), folder: spoolFolder) }
        let merged = Locked(MergedFiles(files: files))
        let (records, arena, sources) = try SharedRecords.collect(
            inputBytes: files.reduce(0) { $0 + $1.size }, recordsPerInputByte: recordsPerInputByte
        ) { shared in
            let buffers = (0..<workers).map { _ in RecordBuffer(shared: shared) }
            try readFiles(into: buffers, spools: spools, merged: merged, progress: progress)
            return (SourceRanks.number(buffers), buffers)
        }
        return (merged.withLock { $0.finish(records: records, arena: arena, sources: sources) }, spools)
    }

    /// Reads the files, a thread per buffer, each taking the largest file left when it is
    /// free.
    private func readFiles(into buffers: [RecordBuffer], spools: [PayloadSpool], merged: Locked<MergedFiles>,
                           progress: ReadProgress?) throws {
        let job = self.job
        let files = self.files
        let schedule = files.indices.sorted { files[$0].size > files[$1].size }
        let next = Atomic<Int>(0)
        let failures = Locked<[Int: any Error]>([:])
        let workers = buffers.count
        nonisolated(unsafe) let buffers = buffers
        onThreads(workers) { worker in
            let buffer = buffers[worker]
            while true {
                let slot = next.add(1, ordering: .relaxed).oldValue
                guard slot < schedule.count else {
                    buffer.spans = []
                    return
                }
                let index = schedule[slot]
                let failure: any Error
                do {
                    let reader = try RecordFileReader(
                        job: job, path: files[index].path, displayPath: files[index].displayPath,
                        fileIndex: Int32(index), buffer: buffer, spool: spools[worker], progress: progress)
                    var part = try reader.read()
                    if !part.rejections.isEmpty {
                        RawText.fill(&part.rejections, from: files[index].path)
                    }
                    merged.withLock { $0.add(part) }
                    continue
                } catch {
                    failure = error
                }
                failures.withLock { $0[index] = failure }
                next.store(schedule.count, ordering: .relaxed)
            }
        }
        for spool in spools { try spool.finishWriting() }
        if let (_, failure) = failures.withLock({ $0.min { $0.key < $1.key } }) {
            throw failure
        }
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

    /// The merged result, moved out, with the records of every thread.
    mutating func finish(records: [Record], arena: [UInt8], sources: [String]) -> ReadResult {
        result.records.records = records
        result.records.arena = arena
        result.records.sources = sources
        result.rejections.sort { $0.location < $1.location }
        result.warnings = warnings.values.sorted { ($1.count, $0.message) < ($0.count, $1.message) }
        var done = ReadResult()
        swap(&done, &result)
        return done
    }
}

/// Sources numbered in byte order across the reader threads, each of which numbered
/// the ones it met in the order it met them.
enum SourceRanks {
    /// The sources of all `buffers`, sorted and unique; their records' sources renumbered
    /// to index it (each buffer's on a thread of its own).
    static func number(_ buffers: [RecordBuffer]) -> [String] {
        let sources = Set(buffers.flatMap(\.sources)).sorted { $0.precedesInByteOrder($1) }
        var rank: [String: Int32] = [:]
        for (position, source) in sources.enumerated() { rank[source] = Int32(position) }
        nonisolated(unsafe) let buffers = buffers
        let ranks = buffers.map { $0.sources.map { rank[$0]! } }
        DispatchQueue.concurrentPerform(iterations: buffers.count) { index in
            let buffer = buffers[index]
            let ranks = ranks[index]
            guard ranks != Array(0..<Int32(ranks.count)) else { return }
            for record in 0..<buffer.count {
                buffer[record].source = ranks[Int(buffer[record].source)]
            }
        }
        return sources
    }
}

/// Cuts a rejected record's text out of its file, from the start of its node to its
/// end, by line and column as libyaml counts them (`LineBreaks`).
///
/// The file is walked once, up to the last line a rejection needs, and only the lines
/// the rejections span are kept, as bytes: a rejected record costs about twice its size
/// (its lines, then its text), however long its values.
enum RawText {
    static func fill(_ rejections: inout [Rejection], from path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        // The lines the rejections span, in order, and the next one the walk comes to.
        var spanned = Set<Int>()
        for rejection in rejections {
            spanned.formUnion((rejection.location.line - 1)...max(rejection.location.line - 1, rejection.end.line - 1))
        }
        let needed = spanned.sorted()
        var next = 0
        func isNeeded(_ line: Int) -> Bool {
            while next < needed.count, needed[next] < line { next += 1 }
            return next < needed.count && needed[next] == line
        }
        let lastLine = needed.last ?? 0
        var lines: [Int: (text: [UInt8], lineBreak: [UInt8])] = [:]
        LineBreaks.walk(fd: fd, from: 0, piece: { line, bytes in
            if isNeeded(line) { lines[line, default: ([], [])].text.append(contentsOf: bytes) }
        }, ended: { line, lineBreak in
            // A CRLF file's raw text reads as LF.
            if isNeeded(line) {
                lines[line, default: ([], [])].lineBreak = lineBreak.count == 2 && lineBreak[0] == 0x0D ? [0x0A] : Array(lineBreak)
            }
            return line < lastLine
        })
        for index in rejections.indices {
            let start = rejections[index].location
            let end = rejections[index].end
            var text: [UInt8] = []
            for line in (start.line - 1)...max(start.line - 1, end.line - 1) {
                guard let (bytes, lineBreak) = lines[line] else { continue }
                let from = line == start.line - 1 ? LineBreaks.offset(ofColumn: start.column - 1, in: bytes) : 0
                let to = line == end.line - 1 ? max(LineBreaks.offset(ofColumn: end.column - 1, in: bytes), from) : bytes.count
                text.append(contentsOf: bytes[from..<to])
                if line != end.line - 1 { text.append(contentsOf: lineBreak) }
            }
            var raw = String(decoding: text, as: UTF8.self)
            text = []
            while let last = raw.last, last.isWhitespace { raw.removeLast() }
            rejections[index].raw = raw
        }
    }
}
