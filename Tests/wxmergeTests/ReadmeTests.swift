import Foundation
import Testing

/// The README's shown quickstart output is what a run prints, so that it cannot drift.
@Suite struct ReadmeTests {
    /// The lines of the first code block after the README's line that starts with `lead`.
    private static func block(after lead: String) throws -> [String] {
        let readme = try String(contentsOf: Executable.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex { $0.hasPrefix(lead) })
        let open = try #require(lines[start...].firstIndex { $0.hasPrefix("```") })
        let close = try #require(lines[(open + 1)...].firstIndex { $0.hasPrefix("```") })
        return Array(lines[(open + 1)..<close])
    }

    @Test func theQuickstartPrintsWhatTheReadmeShows() throws {
        // The README's command, from a folder holding the examples as a clone does.
        let folder = NSTemporaryDirectory() + "wxmerge-readme-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/examples", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Executable.packageRoot.appendingPathComponent("examples/quickstart").path,
                                         toPath: folder + "/examples/quickstart")
        try? FileManager.default.removeItem(atPath: folder + "/examples/quickstart/out")
        let run = try Executable.run(["run", "examples/quickstart/wxmerge.yaml"], in: folder)
        #expect(run.status == 0)
        let printed = (run.stderr + run.stdout).split(separator: "\n").map(String.init)
        #expect(printed == (try Self.block(after: "program; a snapshot-page visitor is rejected. The run prints:")))

        let report = try String(contentsOfFile: folder + "/examples/quickstart/out/report.md", encoding: .utf8)
        let summary = try Self.block(after: "and `examples/quickstart/out/report.md` names the job")
        #expect(report.contains(summary.joined(separator: "\n") + "\n"))
    }
}
