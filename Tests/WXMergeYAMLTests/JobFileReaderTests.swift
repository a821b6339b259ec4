import Testing
import WXMergeCore
import WXMergeYAML

@Suite struct JobFileReaderTests {
    @Test func defaultsHoldWhenOptionalSectionsAreLeftOut() throws {
        let workspace = Workspace()
        let job = try workspace.job()
        #expect(job.database == "merged.db")
        #expect(job.report == "report")
        #expect(job.rules == Rules())
        #expect(job.rules.genericLimit == 5)
        #expect(job.survivorship.defaultPolicy == .mostRecent)
        #expect(job.survivorship.appPriority == [.mobile, .miniProgram, .website, .officialAccount, .miniGame])
        #expect(job.apps.map(\.platform) == [0, 0, nil])
    }

    @Test func everySettingIsRead() throws {
        let workspace = Workspace()
        let job = try workspace.job(Workspace.standardJob + """

            output:
              database: out/db.sqlite
              report: out/merge
            rules:
              unionid: false
              legacy_account: false
              generic_limit: 9
            survivorship:
              default: oldest
              app_priority: [website, mobile]
              fields: { phone: app_priority }
            """)
        #expect(job.database == "out/db.sqlite")
        #expect(job.report == "out/merge")
        #expect(!job.rules.unionid && !job.rules.legacyAccount)
        #expect(job.rules.genericLimit == 9)
        #expect(job.survivorship.policy(for: .phone) == .appPriority)
        #expect(job.survivorship.policy(for: .nickname) == .oldest)
        #expect(job.survivorship.appPriority == [.website, .mobile])
    }

    static let badJobs: [(String, String)] = [
        ("version: 1\n1️⃣colour: red\napps: []\ninputs: []\n", "unknown key 'colour'"),
        ("1️⃣apps: []\ninputs: []\n", "missing 'version'"),
        ("version: 1️⃣2\napps: []\ninputs: []\n", "unsupported version '2'; 1 is the only version"),
        ("version: 1\nplatforms:\n  - id: acme\n  - id: 1️⃣acme\ninputs: []\n", "duplicate platform id 'acme'"),
        ("version: 1\napps:\n  - appid: wx0000000000000001\n    type: website\n  - appid: 1️⃣wx0000000000000001\n    type: website\ninputs: []\n",
         "duplicate appid 'wx0000000000000001'"),
        ("version: 1\napps:\n  - appid: 1️⃣wx00000000000000AB\n    type: website\ninputs: []\n",
         "appid 'wx00000000000000AB' is not 'wx' followed by 16 lowercase hex digits"),
        ("version: 1\napps:\n  - appid: wx0000000000000001\n    type: 1️⃣app\ninputs: []\n",
         "unknown app type 'app'; expected one of website, mini_program, mini_game, official_account, mobile"),
        ("version: 1\napps:\n  - appid: wx0000000000000001\n    type: website\n    platform: 1️⃣acme\ninputs: []\n",
         "platform 'acme' is not listed in 'platforms'"),
        ("version: 1\napps: []\ninputs: []\nmigrations:\n  - from: 1️⃣wx0000000000000009\n    to: wx0000000000000008\n    openid_map: m.yaml\n",
         "'from' names appid 'wx0000000000000009', which is not listed in 'apps'"),
        ("version: 1\ninputs: []\nrules:\n  phone: 1️⃣sometimes\n",
         "invalid value 'sometimes' for 'phone'; expected false, suggest, verified, any"),
        ("version: 1\ninputs: []\nrules:\n  unionid: 1️⃣maybe\n", "invalid value 'maybe' for 'unionid'; expected true or false"),
        ("version: 1\ninputs: []\nsurvivorship:\n  default: 1️⃣newest\n",
         "invalid value 'newest' for 'default'; expected most_recent, oldest, app_priority"),
        ("version: 1\ninputs: []\nsurvivorship:\n  fields:\n    1️⃣gender: oldest\n",
         "unknown survivorship field 'gender'; expected nickname, avatar_url, phone or email"),
        ("version: 1\ninputs: []\nrules:\n  1️⃣openid: true\n", "unknown key 'openid' in 'rules'"),
        ("version: 1\napps:\n  - appid: wx0000000000000001\n    type: website\n    1️⃣platfrom: acme\ninputs: []\n",
         "unknown key 'platfrom' in 'apps'; did you mean 'platform'?"),
        ("version: 1\napps: []\n1️⃣input: []\n", "unknown key 'input'; did you mean 'inputs'?"),
    ]

    @Test(arguments: badJobs)
    func invalidJobFilesStopWithAPositionedError(_ source: String, _ message: String) throws {
        let workspace = Workspace()
        let marked = Marked(source)
        let stopped = try #require(failure { _ = try workspace.job(marked.text) })
        #expect(stopped.kind == .invalidJob)
        #expect(stopped.diagnostics.first == .error(
            at: SourceLocation(file: workspace.folder + "/wxmerge.yaml", line: marked.marks[0].line, column: marked.marks[0].column),
            message, notes: stopped.diagnostics.first?.notes ?? []))
    }

    @Test func notYAMLIsABadJobFile() throws {
        let workspace = Workspace()
        let stopped = try #require(failure { _ = try workspace.job("version: 1\napps: [\n") })
        #expect(stopped.kind == .invalidJob)
        #expect(stopped.diagnostics.first?.location?.line == 3)
    }

    @Test func aMissingJobFileIsMissingInput() throws {
        let stopped = try #require(failure { _ = try JobFileReader().read(path: "/nonexistent/wxmerge.yaml") })
        #expect(stopped.kind == .missingFile)
    }

    @Test func contactRulesAndMigrationsAreRead() throws {
        let workspace = Workspace()
        let job = try workspace.job(Workspace.standardJob + """

            rules:
              phone: verified
              email: suggest
            migrations:
              - from: wx0000000000000003
                to: wx0000000000000002
                openid_map: maps/oa.json
            """)
        #expect(job.rules.phone == .verified)
        #expect(job.rules.email == .suggest)
        #expect(job.migrations.map { [$0.from, $0.to] } == [[2, 1]])
        #expect(job.migrations.first?.openidMap == "maps/oa.json")
    }

    @Test func inputsAreExpandedSortedAndReadOnce() throws {
        let workspace = Workspace()
        workspace.write("exports/b.yaml", "[]")
        workspace.write("exports/a.yaml", "[]")
        let job = try workspace.job(Workspace.standardJob + "\n  - exports/b.yaml\n")
        #expect(try InputFile.resolve(job).map(\.displayPath) == ["exports/a.yaml", "exports/b.yaml"])
    }

    @Test func anInputMatchingNoFileIsMissingInput() throws {
        let workspace = Workspace()
        let job = try workspace.job()
        let stopped = try #require(failure { _ = try InputFile.resolve(job) })
        #expect(stopped.kind == .missingFile)
        #expect(stopped.diagnostics.first?.message == "input 'exports/*.yaml' matches no file")
    }
}
