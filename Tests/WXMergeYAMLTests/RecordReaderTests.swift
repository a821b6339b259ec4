import Testing
import WXMergeCore
@testable import WXMergeYAML

@Suite struct RecordReaderTests {
    @Test func aMappingWithDefaultsGivesItsRecordsAppAndSource() throws {
        let result = try Workspace().read(["web.yaml": """
            source: shop-mysql
            appid: wx0000000000000001
            records:
              - openid: o1
                legacy_id: 10023
              - openid: o2
                appid: wx0000000000000002
                source: mp
            """])
        let records = result.records
        #expect(records.records.map(\.app) == [0, 1])
        #expect(records.records.map { records.sources[Int($0.source)] } == ["shop-mysql", "mp"])
        #expect(records.text(records.records[0].legacyID) == "10023")
    }

    /// The reader threads keep their records in one array, a block of it each at a time,
    /// in the order they read them. What a record says must not depend on which thread
    /// read it, nor on how many there were.
    @Test func theRecordsAreTheSameWhateverTheNumberOfReaderThreads() throws {
        var exports: [String: String] = [:]
        for file in 0..<5 {
            let records = (0..<(file + 1) * 3).map { index in
                "  - openid: o\(file)-\(index)\n    unionid: u\(index)\n    phone: '1380013800\(index % 10)'\n"
                    + (index % 2 == 0 ? "    source: s\(4 - file)\n" : "")
            }
            exports["f\(file).yaml"] = "appid: wx000000000000000\(file % 3 + 1)\nrecords:\n" + records.joined()
        }
        let workspace = Workspace()
        let one = try workspace.read(exports, workers: 1)
        #expect(one.records.records.count == 45)
        #expect(one.records.sources == ["f0", "f1", "f2", "f3", "f4", "s0", "s1", "s2", "s3", "s4"])
        for workers in [2, 3] {
            let many = try workspace.read(exports, workers: workers)
            #expect(many.records.sources == one.records.sources)
            #expect(Self.described(many) == Self.described(one))
        }
    }

    /// Every record as a line of text, sorted.
    static func described(_ result: ReadResult) -> [String] {
        let set = result.records
        return set.records.map { record in
            [set.files[Int(record.file)], "\(record.ordinal)", "\(record.line)", set.sources[Int(record.source)],
             set.text(record.openid) ?? "-", set.text(record.unionid) ?? "-", set.text(record.phoneKey) ?? "-"]
                .joined(separator: " ")
        }.sorted()
    }

    /// A file of 20,000 records with 80 bytes of ids each, more than a block of records
    /// and than the texts' room when little room is reserved; with `decoys` lines in each
    /// record's nickname (a quoted scalar) that look like the start of a record.
    static func largeExport(decoys: Int) -> String {
        // Read from a decoy on, the rest is a sequence of records too: `\"decoy` is then a
        // plain scalar, and the closing quote ends up inside one.
        let nickname = decoys == 0 ? "" : "    nickname: \"n\n" + String(repeating: "  - openid: \\\"decoy\n", count: decoys) + "      end\"\n"
        return "appid: wx0000000000000001\nrecords:\n" + (0..<20_000).map { index in
            "  - openid: o\(index)-\(String(repeating: "x", count: 36))\n    unionid: u\(index)-\(String(repeating: "y", count: 36))\n"
                + nickname + "    source: s\(index % 3)\n"
        }.joined()
    }

    /// Records past the room reserved for them go into memory of their own, texts too, and
    /// are put after the rest when the read ends; however many threads read the files, the
    /// records are the same (here with quoted values that hold lines like records').
    @Test(arguments: [0, 6])
    func theRecordsAreTheSameWhenTheyOutgrowTheirRoomOrMoreThreadsRead(decoys: Int) throws {
        var exports = ["large.yaml": Self.largeExport(decoys: decoys)]
        for file in 0..<20 {
            exports["small\(file).yaml"] = "- openid: s\(file)\n  appid: wx0000000000000003\n"
        }
        let workspace = Workspace()
        let one = try workspace.read(exports, workers: 1)
        #expect(one.records.records.count == 20_020)
        #expect(Self.described(one).contains { $0.hasPrefix("exports/large.yaml 19999 ") && $0.contains(" o19999-x") })
        for (workers, recordsPerInputByte) in [(1, 0.0), (2, 0.0), (2, 1.0 / 192), (3, 1.0 / 192)] {
            let other = try workspace.read(exports, workers: workers, recordsPerInputByte: recordsPerInputByte)
            #expect(other.records.sources == one.records.sources)
            #expect(other.read == one.read)
            let (described, expected) = (Self.described(other), Self.described(one))
            #expect(described.count == expected.count)
            #expect(zip(described, expected).first { $0 != $1 }.map { "\($0) instead of \($1)" } == nil)
        }
    }

    @Test func aBareSequenceTakesTheFileStemAsSource() throws {
        let result = try Workspace().read(["legacy-oa.yaml": "- openid: o1\n  appid: wx0000000000000003\n"])
        #expect(result.records.sources == ["legacy-oa"])
        #expect(result.records.records.count == 1)
    }

    @Test func defaultsHoldForTheirOwnDocumentOnly() throws {
        let result = try Workspace().read(["two.yaml": """
            records:
              - openid: o1
            appid: wx0000000000000001
            ---
            - openid: o2
            ---
            """])
        #expect(result.records.records.map(\.app) == [0])
        #expect(result.rejections.map(\.reason) == [RecordMessage.missingAppID])
        #expect(result.read == 2)
    }

    @Test func unknownKeysGoIntoAttributesAndExplicitAttributesWin() throws {
        let (result, spools) = try Workspace().readWithPayloads(["a.yaml": """
            - openid: o1
              appid: wx0000000000000003
              city: 深圳
              vip: 2
              attributes: { vip: 3, tags: [a, "b", 01234, 1.5, yes], note: null, "q'uote": {deep: [true]} }
              nested: { level: 1 }
            - { openid: o2, appid: wx0000000000000003, nickname: Li }
            """])
        #expect(result.records.records.count == 2)
        #expect(result.warnings.map(\.message).sorted()
                == [RecordMessage.unknownKey("city"), RecordMessage.unknownKey("nested"), RecordMessage.unknownKey("vip")])
        let json = try Workspace.payload(.attributes, of: result.records.records[0], in: spools)
        #expect(json == #"{"vip":3,"tags":["a","b","01234",1.5,"yes"],"note":null,"q'uote":{"deep":[true]},"city":"深圳","nested":{"level":1}}"#)
        #expect(try Workspace.payload(.attributes, of: result.records.records[1], in: spools) == nil)
        #expect(try Workspace.payload(.nickname, of: result.records.records[1], in: spools) == "Li")
    }

    static let rejections: [(String, String)] = [
        ("- 1️⃣just text\n", RecordMessage.notAMapping),
        ("- 1️⃣nickname: no openid\n  appid: wx0000000000000001\n", RecordMessage.missingOpenID),
        ("- 1️⃣openid: null\n  appid: wx0000000000000001\n", RecordMessage.missingOpenID),
        ("- 1️⃣openid: o1\n", RecordMessage.missingAppID),
        ("- 1️⃣openid: o1\n  appid: wx12\n", RecordMessage.malformedAppID),
        ("- 1️⃣openid: o1\n  appid: wx00000000000000ff\n", RecordMessage.unlistedAppID),
        ("- 1️⃣openid: \"o 1\"\n  appid: wx0000000000000001\n", RecordMessage.whiteSpaceInID("openid")),
        ("- 1️⃣openid: o1\n  unionid: \"u\\t1\"\n  appid: wx0000000000000001\n", RecordMessage.whiteSpaceInID("unionid")),
        ("- 1️⃣openid: o\(String(repeating: "x", count: 128))\n  appid: wx0000000000000001\n", RecordMessage.idTooLong("openid")),
        ("- 1️⃣openid: o1\n  appid: wx0000000000000001\n  platform: gamma\n", RecordMessage.unlistedPlatform),
        ("- 1️⃣openid: o1\n  appid: wx0000000000000001\n  attributes: [1, 2]\n", RecordMessage.attributesNotAMapping),
        ("- 1️⃣openid: o1\n  appid: wx0000000000000002\n  is_snapshotuser: 1\n", RecordMessage.snapshotUser),
        ("- 1️⃣openid: o1\n  openid: o2\n  appid: wx0000000000000001\n", RecordMessage.duplicateKey("openid")),
        ("- 1️⃣openid: [o1]\n  appid: wx0000000000000001\n", RecordMessage.notAScalar("openid")),
        ("- 1️⃣{openid: o1, appid: wx0000000000000001, legacy_id: \"a b\"}\n", RecordMessage.whiteSpaceInID("legacy_id")),
    ]

    @Test(arguments: rejections)
    func unusableRecordsAreRejectedWithTheirPositionAndText(_ source: String, _ reason: String) throws {
        let marked = Marked(source)
        let result = try Workspace().read(["x.yaml": marked.text + "- openid: ok\n  appid: wx0000000000000001\n"])
        #expect(result.rejections.count == 1)
        let rejection = try #require(result.rejections.first)
        #expect(rejection.reason == reason)
        #expect(rejection.location == marked.location(0, file: "exports/x.yaml"))
        #expect(!rejection.raw.isEmpty && marked.text.contains(rejection.raw))
        #expect(result.records.records.count == 1)
        #expect(result.read == 2)
    }

    static let fileErrors: [(String, String)] = [
        ("1️⃣just a scalar\n", RecordMessage.topLevelShape),
        ("1️⃣appid: wx0000000000000001\n", RecordMessage.missingRecords),
        ("appid: wx0000000000000001\n1️⃣people: []\n", RecordMessage.unknownTopLevelKey("people")),
        ("records: 1️⃣everyone\n", RecordMessage.recordsNotASequence),
        ("- &a { openid: o1 }\n- 1️⃣*b\n", RecordMessage.unknownAnchor("b")),
    ]

    @Test(arguments: fileErrors)
    func filesOfAnotherShapeStopTheRun(_ source: String, _ message: String) throws {
        let marked = Marked(source)
        let stopped = try #require(failure { _ = try Workspace().read(["x.yaml": marked.text]) })
        #expect(stopped.kind == .invalidData)
        #expect(stopped.diagnostics == [.error(at: marked.location(0, file: "exports/x.yaml"), message)])
    }

    @Test func malformedYAMLStopsWithTheProblemMarkAndItsContext() throws {
        let stopped = try #require(failure {
            _ = try Workspace().read(["bad.yaml": "records:\n  - openid: o1\n    nickname: \"unclosed\n"])
        })
        #expect(stopped.kind == .invalidData)
        let diagnostic = try #require(stopped.diagnostics.first)
        #expect(diagnostic.formatted == """
            exports/bad.yaml:4:1: error: found unexpected end of stream
            exports/bad.yaml:3:15: note: while scanning a quoted scalar
            """)
    }

    @Test func emptyDocumentsHoldNoRecords() throws {
        let result = try Workspace().read(["empty.yaml": "", "nulls.yaml": "---\n~\n---\n"])
        #expect(result.read == 0)
        #expect(result.rejections.isEmpty)
    }

    @Test func valuesAreReadAsTheTextOfTheirScalars() throws {
        let result = try Workspace().read(["a.yaml": """
            - { openid: o1, appid: wx0000000000000001, legacy_id: 10023, created_at: 1577934245 }
            - { openid: o2, appid: wx0000000000000001, legacy_id: "10023", unionid: ~ }
            """])
        let records = result.records
        #expect(records.records.map { records.text($0.legacyID) } == ["10023", "10023"])
        #expect(records.records[0].createdAt == 1_577_934_245)
        #expect(records.records[1].unionid.isMissing)
    }

    @Test func valuesThatCannotBeNormalisedAreKeptWithAWarning() throws {
        let result = try Workspace().read(["a.yaml": """
            - { openid: o1, appid: wx0000000000000003, phone: 未填写, email: nobody, unionid: u1, updated_at: soon }
            """])
        #expect(result.records.records.count == 1)
        #expect(Set(result.warnings.map(\.message)) == [
            RecordMessage.phoneNotNormalised, RecordMessage.emailNotNormalised,
            RecordMessage.unionidWithoutPlatform, RecordMessage.unreadableTime("updated_at"),
        ])
    }

    @Test func anUnreadableInputIsMissingInput() throws {
        let workspace = Workspace()
        workspace.write("exports/a.yaml", "[]")
        let job = try workspace.job()
        let files = try InputFile.resolve(job)
        try FileManagerShim.remove(workspace.folder + "/exports/a.yaml")
        let stopped = try #require(failure { _ = try RecordReader(job: job, files: files).read(spoolFolder: workspace.folder) })
        #expect(stopped.kind == .missingFile)
    }
}

import Foundation

enum FileManagerShim {
    static func remove(_ path: String) throws { try FileManager.default.removeItem(atPath: path) }
}

@Suite struct PlatformOverrideTests {
    @Test func aDocumentOrRecordPlatformScopesItsUnionIDs() throws {
        let result = try Workspace().read(["old.yaml": """
            appid: wx0000000000000002
            platform: beta
            records:
              - { openid: o1, unionid: u1 }
              - { openid: o2, unionid: u2, platform: acme }
            ---
            - { openid: o3, unionid: u3, appid: wx0000000000000003, platform: beta }
            """])
        #expect(result.records.records.map(\.platform) == [1, 0, 1])
        #expect(result.warnings.isEmpty)
    }
}

@Suite struct RawTextTests {
    /// The file is read a megabyte at a time to find a rejected record's lines: the
    /// record's text must come out whole wherever the reads fall.
    @Test func aRejectedRecordDeepInALargeFileKeepsItsWholeText() throws {
        var text = ""
        var index = 0
        while text.utf8.count < 3 << 20 {
            text += "- openid: o\(index)\n  appid: wx0000000000000001\n  nickname: 小明\(index)\n"
            index += 1
        }
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).count
        let bad = "openid: \"o \(index)\"\n  appid: wx0000000000000001\n  nickname: \(String(repeating: "名", count: 400_000))"
        let result = try Workspace().read(["big.yaml": text + "- " + bad + "\n- openid: last\n  appid: wx0000000000000001\n"])
        let rejection = try #require(result.rejections.first)
        #expect(rejection.location == SourceLocation(file: "exports/big.yaml", line: line, column: 3))
        #expect(rejection.raw == bad)
        #expect(result.records.records.count == index + 1)
    }
}

@Suite struct LineEndingTests {
    @Test func aCRLFFileWithAByteOrderMarkReadsLikeAnyOther() throws {
        let result = try Workspace().read(["crlf.yaml": "\u{FEFF}- openid: o1\r\n  appid: wx0000000000000001\r\n- openid: \"o 2\"\r\n  appid: wx0000000000000001\r\n"])
        #expect(result.records.records.count == 1)
        let rejection = try #require(result.rejections.first)
        #expect(rejection.location == SourceLocation(file: "exports/crlf.yaml", line: 3, column: 3))
        #expect(rejection.raw == "openid: \"o 2\"\n  appid: wx0000000000000001")
    }
}

extension RecordReaderTests {
    /// A text longer than a block of the arena takes a run of blocks; one that would
    /// cross the end of the reserved room goes past it whole (here: two blocks reserved
    /// for the input's texts, four wanted by the first).
    @Test func aTextLongerThanABlockIsKeptWhole() throws {
        let email = String(repeating: "a", count: 3_500_000) + "@example.com"
        let exports = ["a.yaml": "- openid: o1\n  appid: wx0000000000000001\n  email: \(email)\n"
                       + "- openid: o2\n  appid: wx0000000000000001\n  email: B@Example.com\n"]
        let workspace = Workspace()
        for recordsPerInputByte in [0.0, 1.0 / 192] {
            let set = try workspace.read(exports, workers: 1, recordsPerInputByte: recordsPerInputByte).records
            let emails = set.records.map { set.text($0.emailKey) ?? "-" }.sorted()
            #expect(emails == [email, "b@example.com"])
            #expect(set.records.map { set.text($0.openid) ?? "-" }.sorted() == ["o1", "o2"])
        }
    }
}
