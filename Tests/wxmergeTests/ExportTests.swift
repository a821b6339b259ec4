import Foundation
import GRDB
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `wxmerge export` (docs/reference.md, "Export"): each format read back gives the users
/// table and every record's identity once.
@Suite struct ExportTests {
    /// The users table and each user's identities (appid, app type, platform, openid,
    /// unionid), as the database has them.
    struct Expected {
        var users: [[String?]]
        var identities: [String: [[String?]]]
    }

    private static func expected(_ database: String) throws -> Expected {
        let queue = try DatabaseQueue(path: database)
        return try queue.read { db in
            let users = try Row.fetchAll(db, sql: """
                SELECT user_id, nickname, avatar_url, phone, email, created_at, updated_at FROM users ORDER BY user_id
                """).map { row in (0..<7).map { row[$0] as String? } }
            var identities: [String: [[String?]]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT user_id, appid, app_type, platform, openid, unionid FROM records ORDER BY record_id") {
                identities[row[0], default: []].append((1..<6).map { row[$0] as String? })
            }
            return Expected(users: users, identities: identities)
        }
    }

    /// A quickstart whose Zhang San has a nickname CSV must quote.
    private func example() throws -> ExampleCopy {
        let example = try ExampleCopy()
        try example.write("exports/website.yaml", try example.read("exports/website.yaml")
            .replacingOccurrences(of: "nickname: Zhang San", with: "nickname: \"Zhang, \\\"San\\\"\\nJr\"")
            .replacingOccurrences(of: "updated_at: 2024-05-06T07:08:09Z", with: "updated_at: 2030-01-01T00:00:00Z"))
        #expect(try example.run("run", "--quiet").status == 0)
        return example
    }

    private static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    /// RFC 4180: fields split at commas outside quotes, records at CRLF outside quotes.
    static func parseCSV(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var characters = Array(text)[...]
        while let character = characters.popFirst() {
            if quoted {
                if character == "\"" {
                    if characters.first == "\"" { field.append("\""); characters.removeFirst() } else { quoted = false }
                } else {
                    field.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                record.append(field); field = ""
            } else if character == "\r\n" {
                record.append(field); field = ""
                records.append(record); record = []
            } else {
                field.append(character)
            }
        }
        return records
    }

    private func checkJSONL(_ text: String, _ expected: Expected) throws {
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == expected.users.count)
        var users: [[String?]] = []
        var identities: [String: [[String?]]] = [:]
        for line in lines {
            let user = try #require(try Self.json(line) as? [String: Any])
            let id = try #require(user["user_id"] as? String)
            users.append(["user_id", "nickname", "avatar_url", "phone", "email", "created_at", "updated_at"].map { user[$0] as? String })
            for identity in try #require(user["identities"] as? [[String: Any]]) {
                identities[id, default: []].append(["appid", "app_type", "platform", "openid", "unionid"].map { identity[$0] as? String })
            }
        }
        #expect(users.sorted { $0[0]! < $1[0]! } == expected.users)
        #expect(identities == expected.identities)
    }

    private func checkCSV(_ text: String, _ expected: Expected) throws {
        let records = Self.parseCSV(text)
        #expect(records.first == ["user_id", "nickname", "avatar_url", "phone", "email", "created_at", "updated_at",
                                  "appid", "app_type", "platform", "openid", "unionid"])
        var users: [String: [String?]] = [:]
        var identities: [String: [[String?]]] = [:]
        for record in records.dropFirst() {
            let values = record.map { $0.isEmpty ? nil : $0 }
            let id = try #require(values[0])
            #expect(users[id] == nil || users[id]! == Array(values[0..<7]))
            users[id] = Array(values[0..<7])
            identities[id, default: []].append(Array(values[7..<12]))
        }
        #expect(users.values.sorted { $0[0]! < $1[0]! } == expected.users)
        #expect(identities == expected.identities)
    }

    @Test func eachFormatReadBackGivesTheUsersAndEveryIdentityOnce() throws {
        let example = try example()
        let expected = try Self.expected(example.folder + "/out/merged.db")
        #expect(expected.users.contains { $0[1] == "Zhang, \"San\"\nJr" })

        #expect(try example.run("export", "--format", "jsonl").status == 0)
        try checkJSONL(try example.read("users.jsonl"), expected)
        #expect(try example.run("export", "--format", "csv").status == 0)
        try checkCSV(try example.read("users.csv"), expected)

        #expect(try example.run("export", "--format", "keycloak", "--platform", "acme", "--idp-alias", "weixin").status == 0)
        let keycloak = try #require(try Self.json(try example.read("keycloak-users.json")) as? [String: Any])
        #expect(keycloak["ifResourceExists"] as? String == "SKIP")
        let users = try #require(keycloak["users"] as? [[String: Any]])
        #expect(Set(users.compactMap { $0["username"] as? String }) == Set(expected.users.compactMap { $0[0] }))
        #expect(users.count == expected.users.count)
        for user in users {
            let id = try #require(user["username"] as? String)
            let row = try #require(expected.users.first { $0[0] == id })
            let attributes = try #require(user["attributes"] as? [String: [String]])
            #expect(attributes["nickname"]?.first == row[1])
            #expect(attributes["phone"]?.first == row[3])
            #expect(user["email"] as? String == row[4])
            #expect(user["enabled"] as? Bool == true)
            #expect(user["emailVerified"] as? Bool == false)
            let identities = try #require(expected.identities[id])
            #expect(attributes["openids"] == identities.map { $0[0]! + ":" + $0[3]! })
            let federated = try #require(user["federatedIdentities"] as? [[String: String]])
            #expect(federated == [["identityProvider": "weixin", "userId": identities.compactMap { $0[4] }.first!,
                                   "userName": row[1] ?? id]])
        }

        #expect(try example.run("export", "--format", "authing", "--platform", "acme", "--appid", "wx38604b8e0a1b2c3d").status == 0)
        let authing = try #require(try Self.json(try example.read("authing-users.json")) as? [[String: Any]])
        #expect(authing.count == expected.users.count)
        for user in authing {
            let id = try #require(user["externalId"] as? String)
            let row = try #require(expected.users.first { $0[0] == id })
            #expect([user["nickname"], user["photo"], user["phone"], user["email"], user["signedUp"]].map { $0 as? String }
                    == [row[1], row[2], row[3], row[4], row[5]])
            let identities = try #require(expected.identities[id])
            #expect(user["unionid"] as? String == identities.compactMap { $0[4] }.first)
            #expect(user["openid"] as? String == identities.first { $0[0] == "wx38604b8e0a1b2c3d" }?[3])
        }
    }

    @Test func usersWithoutTheChosenIdentityAreCountedAndListed() throws {
        let example = try example()
        let expected = try Self.expected(example.folder + "/out/merged.db")
        // Li Si is only in the mini program: the website's openid does not cover him.
        let liSi = try #require(expected.identities.first { $0.value.allSatisfy { $0[0] == "wx38604b8e0a1b2c3d" } }?.key)
        let export = try example.run("export", "--format", "keycloak", "--appid", "wx5e900be284d15942", "--out", "-")
        #expect(export.status == 0)
        #expect(export.stderr.contains("1 of 2 users have no openid of app 'wx5e900be284d15942': exported without it (\(liSi))"))
        let users = try #require((try Self.json(export.stdout) as? [String: Any])?["users"] as? [[String: Any]])
        #expect(users.count == 2)
        #expect(users.first { $0["username"] as? String == liSi }?["federatedIdentities"] == nil)
        #expect(users.first { $0["username"] as? String != liSi }?["federatedIdentities"] != nil)
    }

    @Test func theFileIsOwnerOnlyAndDashIsStandardOutput() throws {
        let example = try example()
        #expect(try example.run("export", "--format", "jsonl", "--out", "exported/users.jsonl").status != 0)
        try FileManager.default.createDirectory(atPath: example.folder + "/exported", withIntermediateDirectories: false)
        let written = try example.run("export", "--format", "jsonl", "--out", "exported/users.jsonl")
        #expect(written.status == 0)
        #expect(written.stdout.isEmpty)
        #expect(written.stderr.contains("wrote 2 users (3 identities) to exported/users.jsonl"))
        var info = stat()
        #expect(stat(example.folder + "/exported/users.jsonl", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: example.folder + "/exported") == ["users.jsonl"])

        let toStdout = try example.run("export", "--format", "jsonl", "--out", "-")
        #expect(toStdout.stdout == (try example.read("exported/users.jsonl")))
        #expect(!FileManager.default.fileExists(atPath: example.folder + "/-"))
        #expect(try example.run("export", "--format", "csv", "--platform", "acme").status == 64)
        #expect(try example.run("export", "--format", "authing").status == 64)
    }

    /// A generated job: the same file from the SQLite output and from the PostgreSQL one.
    @Test func aGeneratedJobExportsAlikeFromSQLiteAndPostgreSQL() throws {
        let server = try PostgresServer.shared.get()
        let example = try ExampleCopy()
        try FileManager.default.removeItem(atPath: example.folder)
        #expect(try Executable.run(["generate", "--users", "1500", "--seed", "11", "--out", example.folder], in: "/").status == 0)
        let uri = try server.database()
        #expect(try example.run("run", "--quiet").status == 0)
        #expect(try Executable.start(["run", "--quiet", "--output", uri], in: example.folder, environment: server.environment)
            .wait().status == 0)
        let expected = try Self.expected(example.folder + "/out/merged.db")
        for format in ["jsonl", "csv"] {
            let fromSQLite = try example.run("export", "--format", format, "--out", "-")
            let fromPostgres = try Executable.start(["export", "--format", format, "--database", uri, "--out", "-"],
                                                    in: example.folder, environment: server.environment).wait()
            #expect(fromSQLite.status == 0 && fromPostgres.status == 0)
            #expect(fromSQLite.stdout == fromPostgres.stdout)
            if format == "jsonl" { try checkJSONL(fromSQLite.stdout, expected) } else { try checkCSV(fromSQLite.stdout, expected) }
        }
        // Keycloak: every user once, each with every identity of its records.
        let keycloak = try example.run("export", "--format", "keycloak", "--platform", "acme", "--out", "-")
        #expect(keycloak.status == 0)
        let users = try #require((try Self.json(keycloak.stdout) as? [String: Any])?["users"] as? [[String: Any]])
        #expect(users.count == expected.users.count)
        #expect(Set(users.compactMap { $0["username"] as? String }) == Set(expected.users.compactMap { $0[0] }))
        for user in users {
            let id = try #require(user["username"] as? String)
            let openids = (user["attributes"] as? [String: [String]])?["openids"]
            #expect(openids == expected.identities[id]?.map { $0[0]! + ":" + $0[3]! })
        }
        // Users of the generated job without a unionid on acme are the ones named.
        let uncovered = expected.identities.filter { !$0.value.contains { $0[2] == "acme" && $0[4] != nil } }.count
        #expect(uncovered > 0)
        #expect(keycloak.stderr.contains("\(uncovered) of \(expected.users.count) users have no unionid of platform 'acme'"))
    }
}
