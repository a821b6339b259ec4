import Foundation
public import WXMergeCore

/// Writes a realistic synthetic job (`wxmerge generate`): the job file, one export per
/// app and the truth (`file,index,person`), as a company's real exports look.
///
/// Seven apps: a website, a mini program, an official account, a mobile app and a mini
/// game bound to platform `acme`; a mini program bound to `beta`; an old official account
/// bound to none. Each person is in 1 to 5 apps (most in 1 or 2, about 1.6 records a
/// person); 75 to 95 % of the records of bound apps carry the person's unionid; the
/// website and the mobile app share a legacy system (the same `legacy_id`); about 0.5 %
/// of records are exported twice; a few phones are recycled to a second person; phones
/// come in mixed formats, some unquoted; nicknames are Chinese, Latin, emoji and
/// YAML-hostile (`yes`, `null`, `'q'`, `a: b`, `#tag`); the old official account writes
/// Unix seconds and unknown keys; a few records must be rejected. The same seed gives
/// the same bytes.
public struct SampleJob {
    public let users: Int
    public let seed: UInt64

    public init(users: Int, seed: UInt64) {
        self.users = users
        self.seed = seed
    }

    struct AppModel {
        let key: String, name: String, type: AppType, platform: String?, source: String
        let weight: Double, unionidRate: Double, hasLegacyID: Bool
    }

    static let apps: [AppModel] = [
        .init(key: "website", name: "Acme Web", type: .website, platform: "acme", source: "shop-mysql", weight: 0.10, unionidRate: 0.95, hasLegacyID: true),
        .init(key: "mini_program", name: "Acme Mall", type: .miniProgram, platform: "acme", source: "mp-mall", weight: 0.28, unionidRate: 0.85, hasLegacyID: true),
        .init(key: "official_account", name: "Acme Service", type: .officialAccount, platform: "acme", source: "oa-acme", weight: 0.18, unionidRate: 0.75, hasLegacyID: false),
        .init(key: "mobile", name: "Acme App", type: .mobile, platform: "acme", source: "shop-mysql", weight: 0.15, unionidRate: 0.90, hasLegacyID: true),
        .init(key: "mini_game", name: "Acme Tap", type: .miniGame, platform: "acme", source: "game", weight: 0.04, unionidRate: 0.80, hasLegacyID: false),
        .init(key: "beta_mini_program", name: "Beta Mall", type: .miniProgram, platform: "beta", source: "beta-mp", weight: 0.15, unionidRate: 0.85, hasLegacyID: true),
        .init(key: "legacy_oa", name: "Acme News (legacy)", type: .officialAccount, platform: nil, source: "oa-legacy", weight: 0.10, unionidRate: 0, hasLegacyID: true),
    ]

    static let appsPerPerson: [Double] = [0.62, 0.245, 0.08, 0.035, 0.02]
    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘")
    static let given = Array("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华红玉萍建文辉力彬宇浩然欣怡子轩梓涵")
    static let latin = ["Alice", "Bob", "Chen", "David", "Emma", "Frank", "Grace", "Kevin", "Lily", "Leo", "Mia", "Tony",
                        "Vivian", "Jack", "Amy", "Sunny", "Coco", "Eric"]
    static let odd = ["微信用户", "A-Li: 阿丽", "#小太阳#", "'单引号'", "Tom & Jerry", "- 冷风 -", "yes", "null", "01234",
                      "小明🐱", "🌸花花🌸", "Ann \"Q\"", "a\\b", "[VIP]张", "~", "'q'", "a: b", "#tag", "no", "🦄"]
    static let domains = ["qq.com", "163.com", "126.com", "gmail.com", "foxmail.com", "outlook.com", "example.com"]

    /// The appid of each app, the same for every seed.
    static func appid(_ index: Int) -> String {
        "wx" + String(format: "%016llx", 0x5e90_0be2_84d1_5942 &+ UInt64(index) &* 0x9e37_79b9_7f4a_7c15)
    }

    /// Writes the job into `folder`, made when missing: wxmerge.yaml, exports/*.yaml and
    /// truth.csv.
    /// - Parameter replacing: whether a folder that is not empty may be written into (what
    ///   generate writes there is removed first; anything else stays).
    /// - Throws: `SampleError` when the folder is not empty (and not `replacing`) or cannot
    ///   be written.
    public func write(to folder: String, replacing: Bool) throws {
        let manager = FileManager.default
        if !((try? manager.contentsOfDirectory(atPath: folder)) ?? []).isEmpty {
            guard replacing else { throw SampleError(.folderNotEmpty, folder: folder) }
            for name in ["wxmerge.yaml", "exports", "truth.csv"] { try? manager.removeItem(atPath: folder + "/" + name) }
        }
        do {
            try write(to: folder)
        } catch {
            throw SampleError(.cannotWrite("\(error)"), folder: folder)
        }
    }

    private func write(to folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder + "/exports", withIntermediateDirectories: true)
        try jobFile().write(toFile: folder + "/wxmerge.yaml", atomically: true, encoding: .utf8)
        var random = SplitMix64(seed: seed)
        var exports = Self.apps.map { _ in ExportBuffer() }
        var legacyCounter: [String: Int] = [:]
        var recycled: [String] = []
        let start: Int64 = 1_451_606_400, end: Int64 = 1_750_000_000  // 2016-01-01 .. 2025-06-15

        for person in 0..<users {
            var weights = Self.apps.map(\.weight)
            var chosen: [Int] = []
            for _ in 0..<random.pick(Self.appsPerPerson) + 1 {
                let app = random.pick(weights)
                chosen.append(app)
                weights[app] = 0
            }
            chosen.sort()
            let nickname = random.nickname()
            let unionids = ["acme": random.token(), "beta": random.token()]
            var phone: String?
            if random.unit() < 0.70 {
                if !recycled.isEmpty, random.unit() < 0.003 {
                    phone = recycled.removeLast()
                } else {
                    phone = random.phone()
                    if random.unit() < 0.003 { recycled.append(phone!) }
                }
            }
            let email = random.unit() < 0.30 ? random.email() : nil
            var legacy: [String: Int] = [:]
            let created = random.between(start, 1_704_067_200)
            for app in chosen {
                let model = Self.apps[app]
                var lines = ["  - openid: " + random.token()]
                if let platform = model.platform, random.unit() < model.unionidRate {
                    lines.append("    unionid: " + unionids[platform]!)
                }
                if model.hasLegacyID {
                    if legacy[model.source] == nil {
                        legacyCounter[model.source, default: 0] += 1
                        legacy[model.source] = legacyCounter[model.source]
                    }
                    let id = legacy[model.source]!
                    switch model.source {
                    case "shop-mysql": lines.append("    legacy_id: \(id)")
                    case "beta-mp": lines.append("    legacy_id: \"B\(String(format: "%07d", id))\"")
                    default: lines.append("    legacy_id: \"\(id)\"")
                    }
                }
                let shown = model.type == .miniProgram && random.unit() < 0.3 ? "微信用户" : nickname
                lines.append("    nickname: " + Self.quoted(shown))
                lines.append("    avatar_url: https://thirdwx.qlogo.cn/mmopen/vi_32/" + random.token(length: 40, prefix: "Q") + "/132")
                if let phone, random.unit() < 0.6 {
                    lines.append("    phone: " + random.phoneText(phone, unquotedAllowed: model.source == "shop-mysql" || model.source == "oa-legacy"))
                    let verified = (model.type == .miniProgram || model.type == .mobile) && random.unit() < 0.8
                    lines.append("    phone_verified: \(verified)")
                }
                if let email, random.unit() < 0.5 { lines.append("    email: " + random.emailVariant(email)) }
                let createdAt = created + random.between(0, 86_400 * 400)
                let updatedAt = random.between(createdAt, end)
                lines.append(contentsOf: Self.times(createdAt, updatedAt, unix: model.source == "oa-legacy"))
                if model.source == "oa-legacy" {
                    lines.append("    sex: \(random.between(0, 2))")
                    lines.append("    city: " + ["深圳", "广州", "Beijing", "上海", "杭州", "成都"][Int(random.between(0, 5))])
                }
                if random.unit() < 0.5 {
                    lines.append("    attributes:")
                    lines.append("      vip_level: \(random.between(0, 5))")
                    lines.append("      points: \(random.between(0, 100_000))")
                    if random.unit() < 0.3 { lines.append("      channel: " + ["ad", "qr-code", "share", "search"][Int(random.between(0, 3))]) }
                }
                exports[app].append(lines.joined(separator: "\n") + "\n", person: person)
                if random.unit() < 0.005 {
                    // Exported twice, later, sometimes under another nickname.
                    let later = random.between(updatedAt, end + 86_400 * 30)
                    var again = lines
                    if let index = again.firstIndex(where: { $0.hasPrefix("    updated_at: ") }) {
                        again[index] = Self.times(createdAt, later, unix: model.source == "oa-legacy")[1]
                    }
                    if random.unit() < 0.5, let index = again.firstIndex(where: { $0.hasPrefix("    nickname: ") }) {
                        again[index] = "    nickname: " + Self.quoted(random.nickname())
                    }
                    exports[app].append(again.joined(separator: "\n") + "\n", person: person)
                }
            }
        }
        // A few records that must be rejected: no openid, a snapshot user, an id with a space.
        let rejects = max(3, users / 20_000)
        for index in 0..<rejects {
            let person = users + index
            let text: String
            switch index % 3 {
            case 0: text = "  - nickname: \(Self.quoted(random.nickname()))\n    phone: \"\(random.phone())\"\n"
            case 1: text = "  - openid: " + random.token() + "\n    is_snapshotuser: 1\n    nickname: 微信用户\n"
            default: text = "  - openid: \"o\(random.token(length: 12, prefix: "")) \(random.token(length: 12, prefix: ""))\"\n"
            }
            exports[1].append(text, person: person)
        }

        var truth = Array("file,index,person\n".utf8)
        for (app, model) in Self.apps.enumerated() {
            var order = Array(exports[app].records.indices)
            random.shuffle(&order)
            let name = "exports/\(model.key).yaml"
            guard FileManager.default.createFile(atPath: folder + "/" + name, contents: nil),
                  let file = FileHandle(forWritingAtPath: folder + "/" + name) else {
                throw CocoaError(.fileWriteUnknown)
            }
            var chunk = Array("# exported by legacy-export 2.3\nsource: \(model.source)\nappid: \(Self.appid(app))\nrecords:\n".utf8)
            for (index, record) in order.enumerated() {
                let (range, person) = exports[app].records[record]
                chunk.append(contentsOf: exports[app].bytes[range])
                truth.append(contentsOf: "\(name),\(index),p\(String(format: "%07d", person))\n".utf8)
                if chunk.count >= 1 << 22 {
                    try file.write(contentsOf: chunk)
                    chunk.removeAll(keepingCapacity: true)
                }
            }
            try file.write(contentsOf: chunk)
            try file.close()
            exports[app] = ExportBuffer()
        }
        try Data(truth).write(to: URL(fileURLWithPath: folder + "/truth.csv"))
    }

    func jobFile() -> String {
        var lines = ["# A synthetic job written by wxmerge generate (\(users) people, seed \(seed)).",
                     "version: 1", "platforms:",
                     "  - id: acme", "    subject: Acme Technology Co., Ltd.",
                     "  - id: beta", "    subject: \"Beta Retail (Shenzhen) Co., Ltd.\"", "apps:"]
        for (index, app) in Self.apps.enumerated() {
            lines += ["  - appid: \(Self.appid(index))", "    name: \(Self.quoted(app.name))", "    type: \(app.type.rawValue)"]
            if let platform = app.platform { lines.append("    platform: \(platform)") }
        }
        lines += ["inputs:", "  - exports/*.yaml", "output:", "  database: out/merged.db", "  report: out/report",
                  "rules:", "  unionid: true", "  legacy_account: true", "  phone: false", "  email: false",
                  "survivorship:", "  default: most_recent"]
        return lines.joined(separator: "\n") + "\n"
    }

    static func times(_ created: Int64, _ updated: Int64, unix: Bool) -> [String] {
        unix ? ["    created_at: \(created)", "    updated_at: \(updated)"]
            : ["    created_at: " + Normalization.formatTime(created), "    updated_at: " + Normalization.formatTime(updated)]
    }

    /// A YAML scalar for any text: plain when that reads back as the same string.
    static func quoted(_ text: String) -> String {
        let reserved: Set<String> = ["yes", "no", "true", "false", "on", "off", "null", "y", "n", "~"]
        let isPlainSafe = text.unicodeScalars.allSatisfy { scalar in
            scalar.properties.isIdeographic || (scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == " " || scalar == "."))
        } && !text.isEmpty && text.first != " " && text.last != " " && !(text.first?.isNumber ?? false)
        if isPlainSafe, !reserved.contains(text.lowercased()) { return text }
        return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

/// One app's records, back to back in one buffer: a record costs its bytes and one
/// entry, not an array of its own.
struct ExportBuffer {
    var bytes: [UInt8] = []
    var records: [(range: Range<Int>, person: Int)] = []

    mutating func append(_ text: String, person: Int) {
        let start = bytes.count
        bytes.append(contentsOf: text.utf8)
        records.append((start..<bytes.count, person))
    }
}

/// A small, fast, seedable generator (SplitMix64): the same seed, the same sequence on
/// every machine, unlike the system generator.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    mutating func between(_ low: Int64, _ high: Int64) -> Int64 {
        low + Int64(next() % UInt64(high - low + 1))
    }

    /// An index drawn with the given weights.
    mutating func pick(_ weights: [Double]) -> Int {
        var target = unit() * weights.reduce(0, +)
        for (index, weight) in weights.enumerated() {
            target -= weight
            if target < 0 { return index }
        }
        return weights.lastIndex { $0 > 0 } ?? 0
    }

    mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for index in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(index, Int(next() % UInt64(index + 1)))
        }
    }

    private static let tokenAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    mutating func token(length: Int = 27, prefix: String = "o") -> String {
        var bytes = Array(prefix.utf8)
        var bits = next()
        for index in 0..<length {
            if index % 10 == 9 { bits = next() }
            bytes.append(Self.tokenAlphabet[Int(bits & 63)])
            bits >>= 6
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    mutating func nickname() -> String {
        let roll = unit()
        if roll < 0.62 {
            var name = String(SampleJob.surnames[Int(next() % UInt64(SampleJob.surnames.count))])
            for _ in 0..<(next() % 2 + 1) { name.append(SampleJob.given[Int(next() % UInt64(SampleJob.given.count))]) }
            return name
        }
        if roll < 0.90 {
            let name = SampleJob.latin[Int(next() % UInt64(SampleJob.latin.count))]
            return unit() < 0.4 ? name + String(between(1, 999)) : name
        }
        return SampleJob.odd[Int(next() % UInt64(SampleJob.odd.count))]
    }

    mutating func phone() -> String {
        "1" + String(Array("3456789")[Int(next() % 7)]) + String(format: "%09d", Int(next() % 1_000_000_000))
    }

    mutating func phoneText(_ phone: String, unquotedAllowed: Bool) -> String {
        let roll = unit()
        let digits = Array(phone)
        let (a, b, c) = (String(digits[0..<3]), String(digits[3..<7]), String(digits[7...]))
        if roll < 0.35 { return unquotedAllowed ? phone : "\"\(phone)\"" }
        if roll < 0.60 { return "\"+86 \(a) \(b) \(c)\"" }
        if roll < 0.80 { return "\"+86\(phone)\"" }
        if roll < 0.92 { return "\"\(a)-\(b)-\(c)\"" }
        if roll < 0.99 { return "\"86 \(phone)\"" }
        return "\"" + ["未填写", "12345", "000-0000", "n/a"][Int(next() % 4)] + "\""
    }

    mutating func email() -> String {
        if unit() < 0.5 { return "\(between(10_000, 3_999_999_999))@qq.com" }
        let name = SampleJob.latin[Int(next() % UInt64(SampleJob.latin.count))].lowercased()
        let family = ["zhang", "li", "wang", "chen", "liu"][Int(next() % 5)]
        return "\(name).\(family)\(between(1, 9999))@" + SampleJob.domains[Int(next() % UInt64(SampleJob.domains.count))]
    }

    mutating func emailVariant(_ email: String) -> String {
        let roll = unit()
        if roll < 0.7 { return email }
        if roll < 0.85 { return email.uppercased() }
        return email.prefix(1).uppercased() + email.dropFirst()
    }
}

/// A sample job that could not be written.
public struct SampleError: DiagnosedError {
    public enum Kind: Sendable, Equatable {
        /// The folder holds files already, and replacing them was not asked for.
        case folderNotEmpty
        case cannotWrite(String)
    }

    public var kind: Kind
    public var diagnostics: [Diagnostic]

    init(_ kind: Kind, folder: String) {
        self.kind = kind
        let message = switch kind {
        case .folderNotEmpty: "'\(folder)' is not empty; use --force to replace what generate writes there"
        case .cannotWrite(let reason): "cannot write '\(folder)': \(reason)"
        }
        diagnostics = [.error(at: nil, message)]
    }
}
