// A libFuzzer target for the job-file reader (scripts/fuzz job SECONDS): each input is a
// job file. Bad input must end in a `RunFailure`, never a crash, a leak, a hang or
// unbounded memory. Built with FUZZING defined (scripts/fuzz); otherwise it is a driver
// that reads the files named on its command line once each, to replay a finding.
import Foundation
import WXMergeCore
import WXMergeYAML

private let path: String = {
    let folder = NSTemporaryDirectory() + "wxmerge-fuzz-job-\(getpid())"
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    return folder + "/wxmerge.yaml"
}()

/// Reads `bytes` as a job file.
func readJobFile(_ bytes: UnsafeRawBufferPointer) {
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    do {
        _ = try JobFileReader().read(path: path)
    } catch is RunFailure {
        // Bad input, told as such: what the target wants.
    } catch {
        fatalError("not a RunFailure: \(error)")
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    readJobFile(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
#else
@main
enum Replay {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            data.withUnsafeBytes { readJobFile($0) }
            print("read \(path)")
        }
    }
}
#endif
