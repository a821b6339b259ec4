import Foundation
import Testing
import WXMergeCore
import WXMergeYAML

/// The YAML test suite's inputs (Tests/yaml-test-suite, MIT licence in its `License`):
/// every case's `in.yaml`, nested cases included.
private let suiteFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("yaml-test-suite").path

private let suiteCases: [String] = (FileManager.default.enumerator(atPath: suiteFolder)?.compactMap { $0 as? String } ?? [])
    .filter { $0.hasSuffix("/in.yaml") }.sorted()

@Suite struct YAMLTestSuiteTests {
    /// All 402 cases are in the repository: none is left out without a word.
    @Test func theSuiteIsWhole() {
        #expect(suiteCases.count == 402)
    }

    /// Every input either reads (records accepted or rejected) or stops with exit 65 at
    /// a position: never a crash, a hang or a position-less error.
    @Test
    func everyTestSuiteInputEndsCleanly() throws {
        let workspace = Workspace()
        let job = try workspace.job()
        var outcomes: [String: Int] = [:]
        for name in suiteCases {
            let file = InputFile(path: suiteFolder + "/" + name, displayPath: name, size: 1)
            do {
                let result = try RecordReader(job: job, files: [file]).read(spoolFolder: workspace.folder).0
                #expect(result.read == result.records.records.count + result.rejections.count, "\(name)")
                outcomes["read", default: 0] += 1
            } catch let failure as InputError {
                #expect(failure.kind == .invalidData, "\(name)")
                #expect(failure.diagnostics.first?.location != nil, "\(name)")
                outcomes["stopped", default: 0] += 1
            }
        }
        #expect(outcomes.values.reduce(0, +) == 402)
    }
}
