import Testing
import WXMergeCore

@Suite struct SurvivorshipTests {
    /// Three records of one person (linked by unionid): web (old, updated late),
    /// mini program (newest creation, updated early), mobile (no times).
    private func fixture(_ configure: (inout Survivorship) -> Void = { _ in }) -> (Reconciliation, [String: Int32]) {
        var fixture = Fixture()
        configure(&fixture.job.survivorship)
        fixture.add(app: 1, openid: "oWeb", unionid: "u", created: 100, updated: 900, fields: [.nickname, .email])
        fixture.add(app: 2, openid: "oMini", unionid: "u", created: 500, updated: 600, fields: [.nickname, .phone])
        fixture.add(app: 3, openid: "oApp", unionid: "u", fields: [.nickname, .avatarURL])
        let result = fixture.reconcile()
        var byOpenID: [String: Int32] = [:]
        for (index, record) in result.records.enumerated() { byOpenID[result.text(record.openid)!] = Int32(index) }
        return (result, byOpenID)
    }

    @Test func mostRecentTakesTheLatestUpdate() throws {
        let (result, record) = fixture()
        let user = try #require(result.users.first)
        #expect(user.survivor(.nickname) == record["oWeb"])
        #expect(user.survivor(.phone) == record["oMini"])
        #expect(user.survivor(.avatarURL) == record["oApp"])
        #expect(user.createdAt == 100)
        #expect(user.updatedAt == 900)
        #expect(user.appCount == 3)
    }

    @Test func oldestTakesTheEarliestCreationAndRanksMissingTimesLast() throws {
        let (result, record) = fixture { $0.defaultPolicy = .oldest }
        #expect(try #require(result.users.first).survivor(.nickname) == record["oWeb"])
    }

    @Test func appPriorityTakesTheFirstListedType() throws {
        let (result, record) = fixture { $0.defaultPolicy = .appPriority }
        #expect(try #require(result.users.first).survivor(.nickname) == record["oApp"])
    }

    @Test func aFieldCanHaveItsOwnPolicy() throws {
        let (result, record) = fixture { $0.fields[.nickname] = .appPriority }
        let user = try #require(result.users.first)
        #expect(user.survivor(.nickname) == record["oApp"])
        #expect(user.survivor(.email) == record["oWeb"])
    }

    @Test func aMissingValueNeverWins() throws {
        let (result, _) = fixture()
        let user = try #require(result.users.first)
        // Only the website has an email, although it is not the most recent for others.
        #expect(user.survivor(.email) != nil)
        var empty = Fixture()
        empty.add(app: 1, openid: "oWeb", fields: [])
        #expect(empty.reconcile().users.first?.survivor(.nickname) == nil)
    }

    @Test func tiesBreakByAppPriority() throws {
        var fixture = Fixture()
        fixture.add(app: 1, openid: "oWeb", unionid: "u", updated: 5)
        fixture.add(app: 3, openid: "oApp", unionid: "u", updated: 5)
        let result = fixture.reconcile()
        let user = try #require(result.users.first)
        let survivor = try #require(user.survivor(.nickname))
        #expect(result.text(result.records[Int(survivor)].openid) == "oApp")
    }
}
