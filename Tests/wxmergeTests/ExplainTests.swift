import GRDB
import Foundation
import Testing

@Suite struct ExplainTests {
    /// The quickstart with a mobile app whose record joins Zhang San by legacy id and
    /// by phone, and a recycled phone that the constraint refuses.
    private func example() throws -> ExampleCopy {
        let example = try ExampleCopy()
        try example.write("wxmerge.yaml", try example.read("wxmerge.yaml")
            .replacingOccurrences(of: "inputs:", with: """
              - appid: wx7a3b2c1d0e9f8a7b
                name: Acme App
                type: mobile
            inputs:
            """) + "rules:\n  phone: any\n")
        try example.write("exports/mobile.yaml", """
            source: web-mysql
            appid: wx7a3b2c1d0e9f8a7b
            records:
              - openid: oAppZhangAbCdEfGhIjKlMnOpQr
                legacy_id: 10023
              - openid: oAppOtherAbCdEfGhIjKlMnOpQr
              - openid: oAppThirdAbCdEfGhIjKlMnOpQr
                phone: 138 0013 8000
            """)
        #expect(try example.run("run", "--quiet").status == 0)
        return example
    }

    @Test func aUserIsShownWithItsFieldsRecordsAndTheTreeOfLinks() throws {
        let example = try example()
        let explain = try example.run("explain", "--database", "out/merged.db", "wx7a3b2c1d0e9f8a7b:oAppZhangAbCdEfGhIjKlMnOpQr")
        #expect(explain.status == 0, "\(explain.stderr)")
        let text = explain.stdout
        #expect(text.hasPrefix("user u_e58542f1fd0e9c7d190a1645: 3 records in 3 apps"))
        #expect(text.contains("  phone       …8000   (record #"))
        #expect(!text.contains("+8613800138000"))
        for openid in ["oMini3yAbCdEfGhIjKlMnOpQrSt", "oWeb7x1AbCdEfGhIjKlMnOpQrSt", "oAppZhangAbCdEfGhIjKlMnOpQr"] {
            #expect(text.contains(openid))
        }
        let tree = text.components(separatedBy: "how they became one user:\n")[1].components(separatedBy: "\n\n")[0]
        #expect(tree.split(separator: "\n").count == 3)
        #expect(tree.contains("unionid acme:oUnion1ZhangSanAbCdEfGhIjKl"))
        #expect(tree.contains("legacy_account web-mysql:10023"))
        // The third mobile record shares the phone but would be a second openid of the app.
        #expect(text.contains("phone …8000: #"))
        #expect(text.contains("would break 'one openid per appid': refused"))
    }

    @Test func everyKindOfKeyLeadsToItsUsers() throws {
        let example = try example()
        #expect(try example.run("explain", "--database", "out/merged.db", "u_e58542f1fd0e9c7d190a1645").status == 0)
        let unionid = try example.run("explain", "--database", "out/merged.db", "oUnion1ZhangSanAbCdEfGhIjKl")
        #expect(unionid.stdout.hasPrefix("user u_e58542f1fd0e9c7d190a1645"))
        // Without --database, the database of ./wxmerge.yaml.
        #expect(try example.run("explain", "oUnion1ZhangSanAbCdEfGhIjKl").stdout == unionid.stdout)
        let missing = try example.run("explain", "u_000000000000000000000000")
        #expect(missing.status == 1)
        #expect(missing.stderr == "wxmerge: error: no user in 'out/merged.db' holds 'u_000000000000000000000000'\n")
    }

    @Test func jsonAndShownValuesAreForMachinesAndTrustedReaders() throws {
        let example = try example()
        let run = try example.run("explain", "--json", "--show-values", "oUnion1ZhangSanAbCdEfGhIjKl")
        let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let user = try #require((object["users"] as? [[String: Any]])?.first)
        #expect(user["user_id"] as? String == "u_e58542f1fd0e9c7d190a1645")
        #expect((user["records"] as? [[String: Any]])?.count == 3)
        #expect((user["links"] as? [[String: Any]])?.count == 2)
        let phone = (user["fields"] as? [[String: Any]])?.first { $0["field"] as? String == "phone" }
        #expect(phone?["value"] as? String == "+8613800138000")
    }
}

@Suite struct SuggestionTests {
    @Test func aSuggestRuleFillsTheSuggestionsTableAndTheReportAndMergesNothing() throws {
        let example = try ExampleCopy()
        try example.write("wxmerge.yaml", try example.read("wxmerge.yaml") + "rules:\n  phone: suggest\n")
        try example.write("exports/website.yaml", try example.read("exports/website.yaml") + """
              - openid: oWebLiSiAbCdEfGhIjKlMnOpQr
                phone: 139-0013-9000

            """)
        #expect(try example.run("run", "--quiet").status == 0)
        let queue = try DatabaseQueue(path: example.folder + "/out/merged.db")
        let rows = try queue.read { try Row.fetchAll($0, sql: "SELECT * FROM suggestions") }
        #expect(rows.count == 1)
        #expect(rows.first?["rule"] as String? == "phone")
        #expect(rows.first?["key"] as String? == "+8613900139000")
        #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM users") } == 3)
        let report = try example.read("out/report.md")
        #expect(report.contains("1 pairs of users to review:"))
        #expect(report.contains("| phone | `…9000` |"))
        #expect(!report.contains("+8613900139000"))
    }

    /// Empty lists are `[]` in the JSON, never spread over blank lines.
    @Test func emptyListsAreCompactInJSON() throws {
        let example = try ExampleCopy()
        #expect(try example.run("run", "--quiet").status == 0)
        let json = try example.run("explain", "--json", "wx38604b8e0a1b2c3d:oMini9zLiSiAbCdEfGhIjKlMnOp")
        #expect(json.status == 0, "\(json.stderr)")
        #expect(json.stdout.contains("\"aliases\" : []"))
        #expect(!json.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().contains { $0.allSatisfy(\.isWhitespace) })
    }

    /// Outside a job's folder, explain says to give --database.
    @Test func outsideAJobsFolderExplainSuggestsDatabase() throws {
        let outside = try Executable.run(["explain", "u_00000000000000000000000"], in: NSTemporaryDirectory())
        #expect(outside.status == 66)
        #expect(outside.stderr.contains("give --database DB"))
    }
}
