// libFuzzer targets for wxmerge's readers (scripts/fuzz TARGET SECONDS). Each input is one
// file: `records` reads it as the one export of a fixed job, as a run reads it (rejected
// records' raw texts included); `job` reads it as a job file. Bad input must end in a
// `RunFailure`, never a crash, a leak, a hang or unbounded memory.
//
// Built with FUZZING defined (scripts/fuzz does), this is the libFuzzer entry point and
// the target is named by WXMERGE_FUZZ_TARGET. Otherwise it is a driver that replays
// inputs: `swift run Fuzzers TARGET FILE…`.
import Foundation
import WXMergeCore
import WXMergeYAML

private let folder: String = {
    let path = NSTemporaryDirectory() + "wxmerge-fuzz-\(getpid())"
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

/// Reads `bytes` with the target named `name`.
private func read(_ bytes: UnsafeRawBufferPointer, with name: String) {
    do {
        switch name {
        case "records":
            _ = FileManager.default.createFile(atPath: folder + "/exports/input.yaml", contents: Data(bytes))
            _ = try RecordReader(job: job, files: try InputFile.resolve(job), workers: 1).read(spoolFolder: folder)
        case "job":
            _ = FileManager.default.createFile(atPath: folder + "/input-job.yaml", contents: Data(bytes))
            _ = try JobFileReader().read(path: folder + "/input-job.yaml")
        default:
            fatalError("unknown target '\(name)'; expected records or job")
        }
    } catch is InputError {
        // Bad input, told as such: what the target wants.
    } catch {
        fatalError("not an InputError: \(error)")
    }
}

#if FUZZING
private let fuzzed = ProcessInfo.processInfo.environment["WXMERGE_FUZZ_TARGET"] ?? "records"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    read(UnsafeRawBufferPointer(start: data, count: size), with: fuzzed)
    return 0
}
#else
@main
enum Replay {
    static func main() throws {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first else { fatalError("usage: Fuzzers records|job FILE…") }
        for path in arguments.dropFirst() {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            data.withUnsafeBytes { read($0, with: name) }
            print("read \(path)")
        }
    }
}
#endif
