import Foundation
import GRDB
import Testing

/// An official account that moved to another subject: every openid changed, and a
/// changeopenid mapping ties old to new (docs/reference.md, "Migrations").
@Suite struct MigrationTests {
    private static let job = """
        version: 1
        platforms:
          - id: acme
        apps:
          - appid: wx00000000000000a1
            name: Acme Service (old subject)
            type: official_account
            platform: acme
          - appid: wx00000000000000b2
            name: Acme Service
            type: official_account
            platform: acme
        inputs:
          - exports/*.yaml
        output:
          database: out/merged.db
          report: out/report
        migrations:
          - from: wx00000000000000a1
            to: wx00000000000000b2
            openid_map: maps/oa.MAP

        """

    private func workspace(map: String, mapExtension: String) throws -> ExampleCopy {
        let example = try ExampleCopy()
        try FileManager.default.removeItem(atPath: example.folder + "/exports")
        try FileManager.default.createDirectory(atPath: example.folder + "/exports", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: example.folder + "/maps", withIntermediateDirectories: true)
        try example.write("wxmerge.yaml", Self.job.replacingOccurrences(of: "MAP", with: mapExtension))
        try example.write("maps/oa." + mapExtension, map)
        try example.write("exports/old-oa.yaml", """
            appid: wx00000000000000a1
            records:
              - openid: oOldZhang
                unionid: uZhang
                nickname: 张三
              - openid: oOldLi
                nickname: 李四
              - openid: oOldWang
                nickname: 王五
            """)
        try example.write("exports/new-oa.yaml", """
            appid: wx00000000000000b2
            records:
              - openid: oNewZhang
                nickname: 张三
            """)
        return example
    }

    private static let itemSequence = """
        - { ori_openid: oOldZhang, new_openid: oNewZhang, err_msg: ok }
        - { ori_openid: oOldLi, new_openid: oNewLi, err_msg: ori_openid error }
        """

    private static let apiResponse = """
        {"errcode": 0, "errmsg": "ok", "result_list": [
          {"ori_openid": "oOldZhang", "new_openid": "oNewZhang", "err_msg": "ok"},
          {"ori_openid": "oOldLi", "new_openid": "oNewLi", "err_msg": "ori_openid error"}
        ]}
        """

    @Test(arguments: [(itemSequence, "yaml"), (apiResponse, "json")])
    func aMigratedAccountsOldAndNewExportsBecomeOneUser(_ map: String, _ fileExtension: String) throws {
        let example = try workspace(map: map, mapExtension: fileExtension)
        let run = try example.run("run", "--quiet")
        #expect(run.status == 0, "\(run.stderr)")
        let queue = try DatabaseQueue(path: example.folder + "/out/merged.db")
        try queue.read { db in
            let zhang = try Row.fetchAll(db, sql: "SELECT * FROM records WHERE nickname = '张三' ORDER BY record_id")
            #expect(zhang.count == 2)
            #expect(Set(zhang.map { $0["user_id"] as String }).count == 1)
            #expect(zhang.allSatisfy { $0["appid"] as String == "wx00000000000000b2" && $0["openid"] as String == "oNewZhang" })
            let migrated = try #require(zhang.first { $0["original_openid"] as String? != nil })
            #expect(migrated["original_appid"] as String? == "wx00000000000000a1")
            #expect(migrated["original_openid"] as String? == "oOldZhang")
            // The unionid keeps the old app's platform.
            #expect(migrated["platform"] as String? == "acme")
            // Unmapped: an item with an error, and no item at all.
            let unmapped = try Row.fetchAll(db, sql: "SELECT appid, openid FROM records WHERE original_openid IS NULL AND appid = 'wx00000000000000a1' ORDER BY openid")
            #expect(unmapped.map { $0["openid"] as String } == ["oOldLi", "oOldWang"])
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM users") == 3)
            // The run's fingerprints cover the openid map as well as the exports and the job file.
            let run = try #require(try Row.fetchOne(db, sql: "SELECT config_sha256, inputs FROM runs"))
            let inputs = try JSONSerialization.jsonObject(with: Data((run["inputs"] as String).utf8)) as! [String: String]
            #expect(inputs == Dictionary(uniqueKeysWithValues: ["exports/new-oa.yaml", "exports/old-oa.yaml", "maps/oa." + fileExtension]
                .map { ($0, Self.sha256sum(example.folder + "/" + $0)) }))
            #expect(run["config_sha256"] as String == Self.sha256sum(example.folder + "/wxmerge.yaml"))
        }
        let report = try JSONSerialization.jsonObject(with: Data(example.read("out/report.json").utf8)) as! [String: Any]
        let migration = try #require((report["migrations"] as? [[String: Any]])?.first)
        #expect(migration["mapped"] as? Int == 1)
        #expect(migration["unmapped"] as? Int == 2)
        #expect(migration["errored_items"] as? Int == 1)
    }

    /// What coreutils' `sha256sum` says of a file.
    private static func sha256sum(_ path: String) -> String {
        let output = (try? Executable.run([path], in: "/", tool: "/usr/bin/sha256sum"))?.stdout ?? ""
        return output.split(separator: " ").first.map(String.init) ?? ""
    }

    @Test func anOpenIDMapOfAnotherShapeIsBadData() throws {
        let example = try workspace(map: "just: a mapping\n", mapExtension: "yaml")
        let run = try example.run("run")
        #expect(run.status == 65)
        #expect(run.stderr.hasPrefix("maps/oa.yaml:1:1: error: an openid_map must be"))
    }
}
