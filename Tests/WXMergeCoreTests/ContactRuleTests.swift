import Testing
import WXMergeCore

@Suite struct ContactRuleTests {
    private let zhang = "+8613912345678"

    @Test(arguments: [(PhoneSetting.off, 2), (.verified, 2), (.any, 1)])
    func anUnverifiedPhoneLinksOnlyUnderAny(_ setting: PhoneSetting, _ users: Int) {
        var fixture = Fixture()
        fixture.job.rules.phone = setting
        fixture.add(app: 1, openid: "oWeb", phone: zhang)
        fixture.add(app: 4, openid: "oBeta", phone: zhang, verified: true)
        #expect(fixture.reconcile().users.count == users)
    }

    @Test func verifiedPhonesLink() {
        var fixture = Fixture()
        fixture.job.rules.phone = .verified
        fixture.add(app: 1, openid: "oWeb", phone: zhang, verified: true)
        fixture.add(app: 4, openid: "oBeta", phone: zhang, verified: true)
        let result = fixture.reconcile()
        #expect(result.users.count == 1)
        #expect(result.links.map(\.rule) == [.phone])
        #expect(result.key(of: .phone, record: 0, in: fixture.job) == zhang)
    }

    @Test func aRecycledPhoneInsideOneAppIsRefused() {
        var fixture = Fixture()
        fixture.job.rules.phone = .any
        fixture.add(app: 2, openid: "oOldOwner", phone: zhang, verified: true)
        fixture.add(app: 2, openid: "oNewOwner", phone: zhang, verified: true)
        let result = fixture.reconcile()
        #expect(result.users.count == 2)
        #expect(result.conflicts == [Conflict(rule: .phone, a: 0, b: 1, constraint: .oneOpenIDPerApp, resolution: .refused)])
    }

    @Test func aFrontDeskPhoneOnManyPeopleIsGenericAndLinksNothing() {
        var fixture = Fixture()
        fixture.job.rules.phone = .any
        fixture.job.rules.genericLimit = 5
        for person in 0..<6 { fixture.add(app: person % 2 == 0 ? 1 : 4, openid: "o\(person)", phone: "+8621555501234") }
        let result = fixture.reconcile()
        #expect(result.users.count == 6)
        #expect(result.conflicts.isEmpty)
        #expect(result.genericIdentifiers == [GenericIdentifier(rule: .phone, record: 0, people: 6)])
    }

    @Test func peopleAreCountedAfterTheFirstThreeRules() {
        var fixture = Fixture()
        fixture.job.rules.phone = .any
        fixture.job.rules.genericLimit = 2
        // Three records, two people: the first two share a unionid.
        fixture.add(app: 1, openid: "oWeb", unionid: "uZhang", phone: zhang)
        fixture.add(app: 2, openid: "oMini", unionid: "uZhang", phone: zhang)
        fixture.add(app: 4, openid: "oBeta", phone: zhang)
        let result = fixture.reconcile()
        #expect(result.genericIdentifiers.isEmpty)
        #expect(result.users.count == 1)
    }

    @Test(arguments: ["+8613800000000", "+8618666666666"])
    func placeholderPhonesAreGenericFromTheStart(_ phone: String) {
        var fixture = Fixture()
        fixture.job.rules.phone = .any
        fixture.add(app: 1, openid: "oWeb", phone: phone)
        fixture.add(app: 4, openid: "oBeta", phone: phone)
        let result = fixture.reconcile()
        #expect(result.users.count == 2)
        #expect(result.genericIdentifiers.map(\.people) == [2])
    }

    @Test func emailsLinkAndPlaceholderDomainsDoNot() {
        var fixture = Fixture()
        fixture.job.rules.email = .on
        fixture.add(app: 1, openid: "oWeb", email: "zhang@qq.com")
        fixture.add(app: 4, openid: "oBeta", email: "zhang@qq.com")
        fixture.add(app: 1, openid: "oWeb2", email: "nobody@example.com")
        fixture.add(app: 4, openid: "oBeta2", email: "nobody@example.com")
        let result = fixture.reconcile()
        #expect(result.users.count == 3)
        #expect(result.links.map(\.rule) == [.email])
        #expect(result.genericIdentifiers.map(\.rule) == [.email])
    }

    @Test func suggestLinksNothingAndPairsEachUserWithTheFirst() {
        var fixture = Fixture()
        fixture.job.rules.phone = .suggest
        fixture.add(app: 1, openid: "oWeb", phone: zhang)
        fixture.add(app: 4, openid: "oBeta", phone: zhang)
        fixture.add(app: 5, openid: "oNews", phone: zhang)
        // Would give the first user a second website openid: not suggested.
        fixture.add(app: 1, openid: "oWebOther", phone: zhang)
        let result = fixture.reconcile()
        #expect(result.users.count == 4)
        #expect(result.links.isEmpty)
        #expect(result.suggestions.count == 2)
        #expect(result.suggestions.allSatisfy { $0.rule == .phone && result.text(result.records[Int($0.a)].openid) == "oWeb" })
    }

    @Test func aPairOfUsersIsSuggestedOnceWhicheverComesFirstInEachKey() throws {
        var fixture = Fixture()
        fixture.job.rules.phone = .suggest
        // In canonical order: oA (app 1), oB, oB (app 2), oA (app 3). The first phone pairs
        // A with B, the second B with A: one suggestion, by the first phone, A first.
        fixture.add(app: 1, openid: "oA", unionid: "uA", phone: zhang)
        fixture.add(app: 2, openid: "oB", phone: zhang)
        fixture.add(app: 2, openid: "oB", phone: "+8613912345679")
        fixture.add(app: 3, openid: "oA", unionid: "uA", phone: "+8613912345679")
        let result = fixture.reconcile()
        #expect(result.users.count == 2)
        #expect(result.suggestions.count == 1)
        let suggestion = try #require(result.suggestions.first)
        #expect(result.key(of: .phone, record: suggestion.a, in: fixture.job) == zhang)
        #expect(result.userOf[Int(suggestion.a)] == result.user(1, "oA"))
    }

    @Test func emailSuggestionsAreKeptApartFromPhoneLinks() {
        var fixture = Fixture()
        fixture.job.rules.phone = .verified
        fixture.job.rules.email = .suggest
        fixture.add(app: 1, openid: "oWeb", phone: zhang, verified: true, email: "a@qq.com")
        fixture.add(app: 4, openid: "oBeta", phone: zhang, verified: true)
        fixture.add(app: 5, openid: "oNews", email: "A@qq.com".lowercased())
        let result = fixture.reconcile()
        #expect(result.users.count == 2)
        #expect(result.suggestions.map(\.rule) == [.email])
    }
}
