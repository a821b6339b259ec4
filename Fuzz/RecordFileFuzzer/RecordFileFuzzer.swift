// A libFuzzer target for the record-file reader (scripts/fuzz records SECONDS): each input
// is a record file, read with a fixed job as a run reads it, rejections' raw texts
// included. Bad input must end in a `RunFailure`, never a crash, a leak, a hang or
// unbounded memory. Built with FUZZING defined (scripts/fuzz); otherwise it is a driver
// that reads the files named on its command line once each, to replay a finding.
import Foundation
import WXMergeCore
import WXMergeYAML

private let folder: String = {
    let path = NSTemporaryDirectory() + "wxmerge-fuzz-records-\(getpid())"
    try? FileManager.default.createDirectory(atPath: path + "/exports", withIntermediateDirectories: true)
    try? """
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
        """.write(toFile: path + "/wxmerge.yaml", atomically: true, encoding: .utf8)
    return path
}()

private let job = try! JobFileReader().read(path: folder + "/wxmerge.yaml")

/// Reads `bytes` as the job's one record file.
func readRecordFile(_ bytes: UnsafeRawBufferPointer) {
    let path = folder + "/exports/input.yaml"
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    do {
        let files = try InputFile.resolve(job)
        _ = try RecordReader(job: job, files: files, workers: 1).read(spoolFolder: folder)
    } catch is RunFailure {
        // Bad input, told as such: what the target wants.
    } catch {
        fatalError("not a RunFailure: \(error)")
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    readRecordFile(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
@main
enum Replay {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            data.withUnsafeBytes { readRecordFile($0) }
            print("read \(path)")
        }
    }
}
#endif
