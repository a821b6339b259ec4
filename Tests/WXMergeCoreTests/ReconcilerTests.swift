import Testing
import WXMergeCore

@Suite struct ReconcilerTests {
    @Test func sameUnionIDInTwoAppsOfOnePlatformMerges() {
        var fixture = Fixture()
        fixture.add(app: 1, openid: "oWeb", unionid: "uZhang")
        fixture.add(app: 2, openid: "oMini", unionid: "uZhang")
        let result = fixture.reconcile()
        #expect(result.users.count == 1)
        #expect(result.links == [Link(rule: .unionid, a: 0, b: 1)])
    }

    @Test func sameUnionIDUnderTwoPlatformsDoesNotMerge() {
        var fixture = Fixture()
        fixture.add(app: 2, openid: "oMini", unionid: "uSame")
        fixture.add(app: 4, openid: "oBeta", unionid: "uSame")
        let result = fixture.reconcile()
        #expect(result.users.count == 2)
        #expect(result.links.isEmpty)
    }

    @Test func unionidOnAnAppWithoutPlatformIsNotUsed() {
        var fixture = Fixture()
        fixture.add(app: 5, openid: "oNews", unionid: "uZhang")
        fixture.add(app: 1, openid: "oWeb", unionid: "uZhang")
        #expect(fixture.reconcile().users.count == 2)
    }

    @Test func platformOverrideScopesTheUnionID() {
        var fixture = Fixture()
        fixture.add(app: 2, openid: "oMini", unionid: "uOld", platform: 1)
        fixture.add(app: 4, openid: "oBeta", unionid: "uOld")
        #expect(fixture.reconcile().users.count == 1)
    }

    @Test func sameOpenIDInTwoAppsMeansNothing() {
        var fixture = Fixture()
        fixture.add(app: 1, openid: "oSame")
        fixture.add(app: 2, openid: "oSame")
        #expect(fixture.reconcile().users.count == 2)
    }

    @Test func sameAppAndOpenIDIsOneAccount() {
        var fixture = Fixture()
        fixture.add(app: 1, openid: "oTwice", updated: 10)
        fixture.add(app: 1, openid: "oTwice", updated: 20)
        let result = fixture.reconcile()
        #expect(result.users.count == 1)
        #expect(result.accounts == 1)
        #expect(result.links.map(\.rule) == [.openid])
    }

    @Test func legacyIDLinksOnlyWithinItsSource() {
        var fixture = Fixture()
        fixture.add(app: 1, openid: "oWeb", source: "shop", legacy: "42")
        fixture.add(app: 3, openid: "oApp", source: "shop", legacy: "42")
        fixture.add(app: 2, openid: "oMini", source: "mp", legacy: "42")
        let result = fixture.reconcile()
        #expect(result.sameUser((1, "oWeb"), (3, "oApp")))
        #expect(!result.sameUser((1, "oWeb"), (2, "oMini")))
        #expect(result.links.map(\.rule) == [.legacyAccount])
    }

    @Test func rulesTurnedOffLinkNothing() {
        var fixture = Fixture()
        fixture.job.rules.unionid = false
        fixture.job.rules.legacyAccount = false
        fixture.add(app: 1, openid: "oWeb", unionid: "u1", source: "shop", legacy: "42")
        fixture.add(app: 3, openid: "oApp", unionid: "u1", source: "shop", legacy: "42")
        #expect(fixture.reconcile().users.count == 2)
    }

    @Test func linkGivingOnePersonTwoOpenIDsOfOneAppIsRefused() {
        var fixture = Fixture()
        fixture.add(app: 1, openid: "oWebA", source: "shop", legacy: "7")
        fixture.add(app: 1, openid: "oWebB", source: "shop", legacy: "7")
        let result = fixture.reconcile()
        #expect(result.users.count == 2)
        #expect(result.conflicts == [Conflict(rule: .legacyAccount, a: 0, b: 1, constraint: .oneOpenIDPerApp, resolution: .refused)])
    }

    @Test func linkGivingOnePersonTwoUnionIDsOfOnePlatformIsRefused() {
        var fixture = Fixture()
        fixture.add(app: 1, openid: "oWeb", unionid: "uA", source: "shop", legacy: "7")
        fixture.add(app: 3, openid: "oApp", unionid: "uB", source: "shop", legacy: "7")
        let result = fixture.reconcile()
        #expect(result.users.count == 2)
        #expect(result.conflicts.map(\.constraint) == [.oneUnionIDPerPlatform])
        #expect(result.conflicts.map(\.resolution) == [.refused])
    }

    @Test func sameOpenIDWithTwoUnionIDsIsKeptAndReported() {
        var fixture = Fixture()
        fixture.add(app: 1, openid: "oWeb", unionid: "uA")
        fixture.add(app: 1, openid: "oWeb", unionid: "uB")
        let result = fixture.reconcile()
        #expect(result.users.count == 1)
        #expect(result.conflicts == [Conflict(rule: .openid, a: 0, b: 1, constraint: .oneUnionIDPerPlatform, resolution: .kept)])
    }

    @Test func refusedLinkLeavesTheRestOfTheKeyLinked() {
        // Inside one key every record links to the key's first: a refusal of one does
        // not stop the others.
        var fixture = Fixture()
        fixture.add(app: 1, openid: "oWebA", source: "shop", legacy: "7")
        fixture.add(app: 1, openid: "oWebB", source: "shop", legacy: "7")
        fixture.add(app: 3, openid: "oApp", source: "shop", legacy: "7")
        let result = fixture.reconcile()
        #expect(result.sameUser((1, "oWebA"), (3, "oApp")))
        #expect(!result.sameUser((1, "oWebB"), (3, "oApp")))
        #expect(result.conflicts.count == 1)
    }

    @Test func userIDIsTheHashOfTheSmallestKey() {
        var fixture = Fixture()
        fixture.add(app: 2, openid: "o2", unionid: "u")
        fixture.add(app: 1, openid: "o1", unionid: "u")
        let result = fixture.reconcile()
        // printf 'wx0000000000000001:o1' | sha256sum
        #expect(result.users.map(\.id.text) == ["u_2b9a4613f05c2bc8330b2b8b"])
    }

    /// An id held by an earlier user or alias is taken even when that user is gone: the
    /// new user's key is hashed again with `#2`, `#3`, … (printf 'wx0000000000000001:o1#3' | sha256sum).
    @Test func aTakenIdMovesOnToTheNextFreeSuffix() throws {
        var fixture = Fixture()
        fixture.add(app: 1, openid: "o1")
        fixture.add(app: 2, openid: "o2")
        var earlier = EarlierState()
        earlier.users = try ["u_17856869f331035765973f3b", "u_2b9a4613f05c2bc8330b2b8b"].map { try #require(UserID(text: $0)) }
        earlier.createdAt = [Record.noTime, Record.noTime]
        var records = fixture.set
        let result = Reconciler(job: fixture.job).reconcile(&records, earlier: earlier)
        #expect(result.users.map(\.id.text) == ["u_cde54b3bafaf8fd217eb385d", "u_42b33ef70a724f87dd988478"])

        var aliased = EarlierState()
        aliased.aliases = [Alias(old: try #require(UserID(text: "u_2b9a4613f05c2bc8330b2b8b")),
                                 user: try #require(UserID(text: "u_42b33ef70a724f87dd988478")), runID: 1)]
        records = fixture.set
        let second = Reconciler(job: fixture.job).reconcile(&records, earlier: aliased)
        #expect(second.users.map(\.id.text) == ["u_17856869f331035765973f3b", "u_42b33ef70a724f87dd988478"])
    }

    /// 40,000 records: many records share an openid's first bytes, so the canonical
    /// sort's prefix ties are broken by the full comparison; 70,000: enough for the sort
    /// to take both cores, each half sorted on its own and the two merged.
    @Test(arguments: [60, 40_000, 70_000])
    func orderOfRecordsAndFilesDoesNotChangeTheResult(records: Int) {
        var forward = Fixture()
        var backward = Fixture()
        var rows: [(Int, String, String?, String, String?, Int64, Int32)] = []
        for index in 0..<records {
            rows.append((index % 5 + 1, "o\(index % (records / 3 + 1))", index % 3 == 0 ? "u\(index % 7)" : nil,
                         index % 2 == 0 ? "shop" : "mp", index % 4 == 0 ? "\(index % 9)" : nil,
                         Int64(index * 37 % 11), Int32(index % 2)))
        }
        for row in rows {
            forward.add(app: row.0, openid: row.1, unionid: row.2, source: row.3, legacy: row.4,
                        updated: row.5, file: row.6)
        }
        for row in rows.reversed() {
            backward.add(app: row.0, openid: row.1, unionid: row.2, source: row.3, legacy: row.4,
                         updated: row.5, file: 1 - row.6)
        }
        let a = forward.reconcile()
        let b = backward.reconcile()
        #expect(a.users.map(\.id) == b.users.map(\.id))
        #expect(a.links.map(\.rule) == b.links.map(\.rule))
        #expect(a.conflicts.count == b.conflicts.count)
        #expect(a.users.map(\.recordCount) == b.users.map(\.recordCount))
        #expect(a.records.map { a.text($0.openid) } == b.records.map { b.text($0.openid) })
        #expect(a.records.map(\.updatedAt) == b.records.map(\.updatedAt))
        let keys = a.records.map { (forward.job.apps[Int($0.app)].appid, a.text($0.openid) ?? "") }
        #expect(zip(keys, keys.dropFirst()).allSatisfy { $0 <= $1 })
    }
}
