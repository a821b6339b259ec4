import WXMergeCore

/// Builds jobs and record sets by hand, as the YAML reader would.
struct Fixture {
    var job: Job
    var set = RecordSet()

    /// Two platforms (`acme`, `beta`) and apps: 1 website, 2 mini program (acme),
    /// 3 mobile (acme), 4 mini program (beta), 5 official account (no platform).
    init() {
        let platforms = [Platform(id: "acme"), Platform(id: "beta")]
        let apps = [
            App(appid: "wx0000000000000001", name: "Web", type: .website, platform: 0),
            App(appid: "wx0000000000000002", name: "Mini", type: .miniProgram, platform: 0),
            App(appid: "wx0000000000000003", name: "Mobile", type: .mobile, platform: 0),
            App(appid: "wx0000000000000004", name: "Beta Mini", type: .miniProgram, platform: 1),
            App(appid: "wx0000000000000005", name: "News", type: .officialAccount, platform: nil),
        ]
        job = Job(path: "wxmerge.yaml", folder: ".", platforms: platforms, apps: apps, inputs: [])
        set.sources = ["mp", "shop"]
        set.files = ["a.yaml", "b.yaml"]
    }

    private mutating func text(_ value: String?) -> TextRef {
        guard let value else { return .missing }
        let ref = TextRef(offset: UInt32(set.arena.count), length: UInt32(value.utf8.count))
        set.arena.append(contentsOf: value.utf8)
        return ref
    }

    /// Adds a record; `app` is 1-based as in the list above, `source` is "mp" or "shop".
    @discardableResult
    mutating func add(app: Int, openid: String, unionid: String? = nil, source: String = "mp",
                      legacy: String? = nil, created: Int64 = Record.noTime, updated: Int64 = Record.noTime,
                      fields: FieldMask = [.nickname], file: Int32 = 0, platform: Int32? = nil,
                      phone: String? = nil, verified: Bool = false, email: String? = nil) -> Int {
        let record = Record(
            app: Int32(app - 1),
            platform: platform ?? job.apps[app - 1].platform.map(Int32.init) ?? -1,
            source: Int32(set.sources.firstIndex(of: source)!),
            openid: text(openid), unionid: text(unionid), legacyID: text(legacy),
            createdAt: created, updatedAt: updated, file: file, ordinal: Int32(set.records.count),
            line: Int32(set.records.count + 1), fields: fields,
            payload: PayloadRef(spool: 0, offset: UInt64(set.records.count), length: 0))
        var withContacts = record
        withContacts.phoneKey = text(phone)
        withContacts.emailKey = text(email)
        if phone != nil { withContacts.fields.insert(.phone) }
        if verified { withContacts.fields.insert(.phoneVerified) }
        if email != nil { withContacts.fields.insert(.email) }
        set.records.append(withContacts)
        return set.records.count - 1
    }

    func reconcile() -> Reconciliation {
        var records = set
        return Reconciler(job: job).reconcile(&records)
    }
}

extension Reconciliation {
    /// The user of the record whose (appid, openid) is given.
    func user(_ app: Int, _ openid: String) -> Int32? {
        guard let index = records.indices.first(where: {
            records[$0].app == Int32(app - 1) && text(records[$0].openid) == openid
        }) else { return nil }
        return userOf[index]
    }

    func sameUser(_ a: (Int, String), _ b: (Int, String)) -> Bool {
        guard let x = user(a.0, a.1), let y = user(b.0, b.1) else { return false }
        return x == y
    }

    /// Each record's (appid:openid#payload) key with its user id: compares two runs.
    var assignment: [String] {
        records.indices.map { index in
            let record = records[index]
            return "\(record.app):\(text(record.openid)!):\(record.payload.offset)=\(users[Int(userOf[index])].id.text)"
        }.sorted()
    }
}
