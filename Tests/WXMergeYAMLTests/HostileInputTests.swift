import Foundation
import Testing
import WXMergeCore
@testable import WXMergeYAML

/// What docs/reference.md, "Record files" asks of input that is malformed, unusual or built to hurt: a clear error
/// at the right place, never a crash, a hang or unbounded work.
@Suite struct HostileInputTests {
    private static let record = "- openid: o1\n  appid: wx0000000000000001\n"

    // MARK: Nesting

    @Test(arguments: [true, false])
    func nestingOf64LevelsIsReadAndTheSixtyFifthIsAFileError(_ isFlow: Bool) throws {
        // The records' sequence, a record and its attributes are three levels: 61 more are the limit.
        func nested(_ levels: Int) -> String {
            if isFlow { return String(repeating: "[", count: levels) + String(repeating: "]", count: levels) }
            return (0..<levels).map { String(repeating: " ", count: 4 + 2 * $0) + "- \n" }.joined()
        }
        func file(_ levels: Int) -> String {
            "- openid: o1\n  appid: wx0000000000000001\n  attributes:\n    deep: " + (isFlow ? nested(levels) + "\n" : "\n" + nested(levels))
        }
        let fine = try Workspace().read(["x.yaml": file(61)])
        #expect(fine.records.records.count == 1)
        let stopped = try #require(failure { _ = try Workspace().read(["x.yaml": file(62)]) })
        #expect(stopped.kind == .invalidData)
        #expect(stopped.diagnostics.map(\.message) == [RecordMessage.tooDeep(64)])
        let line = isFlow ? 4 : 4 + 62
        let column = isFlow ? 11 + 61 : 5 + 2 * 61
        #expect(stopped.diagnostics.first?.location == SourceLocation(file: "exports/x.yaml", line: line, column: column))
    }

    /// libyaml's work per token grows with the depth of flow nesting: a file of nothing but
    /// `[` would take minutes. The limit stops it at the sixty-fifth.
    @Test func deepFlowNestingInARecordFileStopsAtTheLimit() throws {
        let stopped = try #require(failure {
            _ = try Workspace().read(["x.yaml": String(repeating: "[", count: 200_000)])
        })
        #expect(stopped.kind == .invalidData)
        #expect(stopped.diagnostics.first?.location == SourceLocation(file: "exports/x.yaml", line: 1, column: 65))
    }

    @Test func aJobFileNested30000DeepIsABadJobFileNotACrash() throws {
        let workspace = Workspace()
        let stopped = try #require(failure {
            _ = try workspace.job("version: 1\ninputs: " + String(repeating: "[", count: 30_000) + "\n")
        })
        #expect(stopped.kind == .invalidJob)
        #expect(stopped.diagnostics.first?.message == RecordMessage.tooDeep(64))
    }

    // MARK: Documents

    @Test func aJobFilesSecondDocumentIsABadJobFile() throws {
        let workspace = Workspace()
        let marked = Marked(Workspace.standardJob + "\n1️⃣---\nversion: 1\n")
        let stopped = try #require(failure { _ = try workspace.job(marked.text) })
        #expect(stopped.kind == .invalidJob)
        #expect(stopped.diagnostics == [.error(
            at: SourceLocation(file: workspace.folder + "/wxmerge.yaml", line: marked.marks[0].line, column: 1),
            JobMessage.secondDocument)])
    }

    // MARK: Anchors and aliases

    @Test func anAliasStandsForACopyOfItsAnchoredNode() throws {
        let result = try Workspace().read(["x.yaml": """
            - openid: o1
              appid: &web wx0000000000000001
              attributes: &shared { tier: gold, tags: [a, b] }
            - openid: o2
              appid: *web
              attributes: *shared
            - &third
              openid: o3
              appid: wx0000000000000002
            """])
        #expect(result.rejections.isEmpty)
        #expect(result.records.records.map(\.app) == [0, 0, 1])
    }

    @Test func aBillionLaughsIsAFileError() throws {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let indented = text.split(separator: "\n").map { "    " + $0 + "\n" }.joined()
        let file = "- openid: o1\n  appid: wx0000000000000001\n  attributes:\n" + indented
        let stopped = try #require(failure { _ = try Workspace().read(["x.yaml": file]) })
        #expect(stopped.kind == .invalidData)
        #expect(stopped.diagnostics.first?.message == RecordMessage.aliasBudget(10_000, 100))
    }

    @Test func anExportThatAliasesOneValueOnEveryRecordIsRead() throws {
        let records = (1...2_000).map { "- openid: o\($0)\n  appid: *web\n  attributes: *tags\n" }.joined()
        let text = "- openid: o0\n  appid: &web wx0000000000000001\n  attributes: &tags { a: [1, 2, 3, 4, 5] }\n" + records
        let result = try Workspace().read(["x.yaml": text])
        #expect(result.records.records.count == 2_001)
    }

    @Test func anAliasToNoAnchorIsAFileError() throws {
        let marked = Marked("- openid: o1\n  appid: 1️⃣*nowhere\n")
        let stopped = try #require(failure { _ = try Workspace().read(["x.yaml": marked.text]) })
        #expect(stopped.kind == .invalidData)
        #expect(stopped.diagnostics == [.error(at: marked.location(0, file: "exports/x.yaml"),
                                               RecordMessage.unknownAnchor("nowhere"))])
    }

    // MARK: Files a glob matches

    @Test func aFIFOMatchedByAGlobIsMissingInputAndNeverWaitedOn() throws {
        let workspace = Workspace()
        workspace.write("exports/a.yaml", Self.record)
        #expect(mkfifo(workspace.folder + "/exports/pipe.yaml", 0o600) == 0)
        let job = try workspace.job()
        let stopped = try #require(failure { _ = try InputFile.resolve(job) })
        #expect(stopped.kind == .missingFile)
        // Named as it opens from the current folder (the job is given by its full path).
        #expect(stopped.diagnostics.map(\.message) == [InputMessage.notARegularFile(workspace.folder + "/exports/pipe.yaml")])
    }

    @Test(arguments: [("nowhere.yaml", ENOENT), ("loop.yaml", ELOOP)])
    func aSymlinkThatLeadsNowhereOrLoopsIsMissingInput(_ target: String, _ code: Int32) throws {
        let workspace = Workspace()
        workspace.write("exports/a.yaml", Self.record)
        #expect(symlink(target, workspace.folder + "/exports/" + (target == "loop.yaml" ? "loop.yaml" : "b.yaml")) == 0)
        let job = try workspace.job()
        let stopped = try #require(failure { _ = try InputFile.resolve(job) })
        #expect(stopped.kind == .missingFile)
        let name = target == "loop.yaml" ? "exports/loop.yaml" : "exports/b.yaml"
        #expect(stopped.diagnostics.map(\.message) == [InputMessage.unreadableMatch(workspace.folder + "/" + name, code)])
    }

    // MARK: Encoding and lines

    /// libyaml's reader gives the bad byte's offset; its mark lags behind, at the scanner.
    @Test(arguments: [("\u{FF}", "invalid leading UTF-8 octet"), ("\u{01}", "control characters are not allowed")])
    func aBadByteIsReportedWhereItIs(_ bad: String, _ problem: String) throws {
        let lines = (0..<5_000).map { "- openid: o\($0)\n  appid: wx0000000000000001\n  nickname: \"张三\u{2028}x\"\n" }.joined()
        var bytes = Array(lines.utf8) + Array("- openid: oLast\n  nickname: 张三".utf8)
        bytes += bad == "\u{FF}" ? [0xFF] : [0x01]
        bytes += Array("\n".utf8)
        let workspace = Workspace()
        #expect(FileManager.default.createFile(atPath: workspace.folder + "/exports/x.yaml", contents: Data(bytes)))
        let stopped = try #require(failure { _ = try workspace.read([:]) })
        #expect(stopped.kind == .invalidData)
        // Each record is four lines as libyaml counts them (the LS is a line break).
        #expect(stopped.diagnostics.first?.location == SourceLocation(file: "exports/x.yaml", line: 5_000 * 4 + 2, column: 15))
        #expect(stopped.diagnostics.first?.message == problem)
    }

    @Test(arguments: ["\u{2028}", "\u{2029}", "\u{85}", "\r"])
    func aLineBreakLibYAMLCountsInsideANicknameKeepsLaterRawTextsInPlace(_ lineBreak: String) throws {
        let result = try Workspace().read(["x.yaml": """
            - openid: o1
              appid: wx0000000000000001
              nickname: "a\(lineBreak)b"
            - openid: o2
              is_snapshotuser: 1
              appid: wx0000000000000001
            - openid: o3
              appid: wx0000000000000001
            - openid: o4
              appid: wx00000000000000ff
            """])
        #expect(result.rejections.map(\.raw) == [
            "openid: o2\n  is_snapshotuser: 1\n  appid: wx0000000000000001",
            "openid: o4\n  appid: wx00000000000000ff",
        ])
    }

    @Test func aHugeValueInARejectedRecordIsKeptWhole() throws {
        let huge = String(repeating: "x", count: 3 << 20)
        let result = try Workspace().read(["x.yaml": "- openid: \(huge)\n  appid: wx0000000000000001\n" + Self.record])
        #expect(result.rejections.map(\.raw) == ["openid: \(huge)\n  appid: wx0000000000000001"])
    }
}
