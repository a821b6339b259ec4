import Foundation
import WXMergeCore
@testable import WXMergeYAML

/// Text with `1️⃣`, `2️⃣`… markers: the clean text and the 1-based line and column of
/// each marker, counted in characters as libyaml counts them.
struct Marked {
    let text: String
    let marks: [(line: Int, column: Int)]

    init(_ source: String) {
        let markers = ["1️⃣", "2️⃣", "3️⃣", "4️⃣"]
        var clean = ""
        var found: [(Int, (Int, Int))] = []
        var line = 1
        var column = 1
        var rest = Substring(source)
        outer: while !rest.isEmpty {
            for (index, marker) in markers.enumerated() where rest.hasPrefix(marker) {
                found.append((index, (line, column)))
                rest = rest.dropFirst(marker.count)
                continue outer
            }
            let character = rest.removeFirst()
            clean.append(character)
            if character == "\n" {
                line += 1
                column = 1
            } else {
                column += character.unicodeScalars.count
            }
        }
        text = clean
        marks = found.sorted { $0.0 < $1.0 }.map(\.1)
    }

    func location(_ index: Int, file: String) -> SourceLocation {
        SourceLocation(file: file, line: marks[index].line, column: marks[index].column)
    }
}

/// A job folder in a temporary directory, removed at deinit.
final class Workspace {
    let folder: String

    init() {
        folder = NSTemporaryDirectory() + "wxmerge-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: folder + "/exports", withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: folder)
    }

    static let standardJob = """
        version: 1
        platforms:
          - id: acme
          - id: beta
        apps:
          - appid: wx0000000000000001
            type: website
            platform: acme
          - appid: wx0000000000000002
            type: mini_program
            platform: acme
          - appid: wx0000000000000003
            type: official_account
        inputs:
          - exports/*.yaml
        """

    func write(_ path: String, _ text: String) {
        try! text.write(toFile: folder + "/" + path, atomically: true, encoding: .utf8)
    }

    func job(_ text: String = Workspace.standardJob) throws -> Job {
        write("wxmerge.yaml", text)
        return try JobFileReader().read(path: folder + "/wxmerge.yaml")
    }

    /// Reads every export with the standard job.
    /// - Parameters:
    ///   - recordsPerInputByte: the records the reader reserves room for, a byte of input.
    ///   By default what a run uses.
    func read(_ exports: [String: String], workers: Int? = nil, recordsPerInputByte: Double? = nil) throws -> ReadResult {
        for (name, text) in exports { write("exports/" + name, text) }
        let job = try job()
        var reader = RecordReader(job: job, files: try InputFile.resolve(job), workers: workers)
        if let recordsPerInputByte { reader.recordsPerInputByte = recordsPerInputByte }
        return try reader.read(spoolFolder: folder).0
    }

    func readWithPayloads(_ exports: [String: String]) throws -> (ReadResult, [PayloadSpool]) {
        for (name, text) in exports { write("exports/" + name, text) }
        let job = try job()
        return try RecordReader(job: job, files: try InputFile.resolve(job)).read(spoolFolder: folder)
    }

    /// A payload field of a record as text.
    static func payload(_ field: PayloadField, of record: Record, in spools: [PayloadSpool]) throws -> String? {
        var bytes = [UInt8](repeating: 0, count: Int(record.payload.length))
        try bytes.withUnsafeMutableBytes { try spools[Int(record.payload.spool)].read(record.payload, into: $0.baseAddress!) }
        var fields: [String?] = []
        _ = bytes.withUnsafeBytes { buffer in
            PayloadSpool.forEachField(at: buffer.baseAddress!) { offset, count in
                fields.append(count.map { String(decoding: buffer[offset..<offset + $0], as: UTF8.self) })
            }
        }
        return fields[field.rawValue]
    }
}

func failure(_ body: () throws -> Void) -> InputError? {
    do {
        try body()
        return nil
    } catch let failure as InputError {
        return failure
    } catch {
        return nil
    }
}
