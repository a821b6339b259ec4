import Foundation
import Testing
import WXMergeCore
import WXMergeYAML

/// The YAML test suite's inputs, kept beside the repository in `shared/yaml-test-suite`.
private let suiteFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/yaml-test-suite").path

private let suiteCases: [String] = (try? FileManager.default.contentsOfDirectory(atPath: suiteFolder).sorted()) ?? []

@Suite struct YAMLTestSuiteTests {
    /// Every input either reads (records accepted or rejected) or stops with exit 65 at
    /// a position: never a crash, a hang or a position-less error.
    @Test(.enabled(if: !suiteCases.isEmpty, "shared/yaml-test-suite is not beside the repository"))
    func everyTestSuiteInputEndsCleanly() throws {
        let workspace = Workspace()
        let job = try workspace.job()
        var outcomes: [String: Int] = [:]
        for name in suiteCases {
            let path = suiteFolder + "/" + name + "/in.yaml"
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let file = InputFile(path: path, displayPath: name + "/in.yaml", size: 1)
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
        #expect(outcomes.values.reduce(0, +) > 300)
    }
}
