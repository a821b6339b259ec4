/// Builds a user from its records: counts, times and the record each surviving field
/// comes from (docs/reference.md, "Job file").
///
/// A missing or blank value never wins. `most_recent` takes the latest `updated_at`,
/// `oldest` the earliest `created_at` (records without the time rank last),
/// `app_priority` the first app type in the list (types not listed rank after, in appid
/// order). Ties break by app priority, then canonical order.
struct SurvivorshipChooser {
    let policies: [SurvivorshipPolicy]
    /// Each app's place in the priority list; unlisted types after, by appid.
    let priority: [Int32]

    init(job: Job, appRank: [Int32]) {
        policies = SurvivingField.allCases.map { job.survivorship.policy(for: $0) }
        let list = job.survivorship.appPriority
        priority = job.apps.indices.map { app in
            if let place = list.firstIndex(of: job.apps[app].type) { return Int32(place) }
            return Int32(list.count) + appRank[app]
        }
    }

    /// - Complexity: O(k) for a user of k records.
    func user(of members: ArraySlice<Int32>, records: [Record]) -> User {
        var created = Record.noTime
        var updated = Record.noTime
        var apps: Int32 = 0
        var lastApp: Int32 = -1
        var chosen = SIMD4<Int32>(repeating: -1)
        for member in members {
            let record = records[Int(member)]
            if record.createdAt != Record.noTime, created == Record.noTime || record.createdAt < created {
                created = record.createdAt
            }
            if record.updatedAt > updated { updated = record.updatedAt }
            // Members come in canonical order, which groups them by app.
            if record.app != lastApp {
                apps += 1
                lastApp = record.app
            }
            for (slot, field) in SurvivingField.allCases.enumerated()
            where record.fields.contains(.of(field)) {
                let current = chosen[slot]
                if current < 0 || wins(member, over: current, policies[slot], records) {
                    chosen[slot] = member
                }
            }
        }
        return User(id: UserID(high: 0, low: 0), firstRecord: members.first!,
                    recordCount: Int32(members.count), appCount: apps,
                    createdAt: created, updatedAt: updated, survivors: chosen)
    }

    /// Whether record `a` beats record `b` under `policy`; members come in canonical
    /// order, so a full tie keeps the earlier one.
    private func wins(_ a: Int32, over b: Int32, _ policy: SurvivorshipPolicy, _ records: [Record]) -> Bool {
        let x = records[Int(a)]
        let y = records[Int(b)]
        switch policy {
        case .mostRecent:
            if x.updatedAt != y.updatedAt { return x.updatedAt > y.updatedAt }
        case .oldest:
            if x.createdAt != y.createdAt {
                if x.createdAt == Record.noTime { return false }
                if y.createdAt == Record.noTime { return true }
                return x.createdAt < y.createdAt
            }
        case .appPriority:
            break
        }
        let px = priority[Int(x.app)]
        let py = priority[Int(y.app)]
        if px != py { return px < py }
        return a < b
    }
}
