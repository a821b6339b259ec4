public import WXMergeCore

/// Reads and validates a job file (docs/reference.md, "Job file"). Every problem found is reported with its
/// position; any of them stops the run (exit 78) before anything is read or written.
public struct JobFileReader {
    public init() {}

    /// - Parameters:
    ///   - path: the job file as the user named it.
    public func read(path: String) throws -> Job {
        let display = path
        let reader: YAMLEventReader
        do {
            reader = try YAMLEventReader(path: path, displayPath: display)
        } catch let failure as InputError {
            throw InputError(.missingFile, failure.diagnostics)
        }
        let root: YAMLNode?
        do {
            root = try YAMLNode.read(reader)
            if root != nil {
                // Finish the stream: a second document or a syntax error later is an error too.
                try reader.next()  // document end
                try reader.next()
                if reader.kind == .documentStart {
                    throw InputError(.invalidJob,
                                     [.error(at: reader.start.location(in: display), JobMessage.secondDocument)])
                }
            }
        } catch let failure as InputError {
            throw InputError(failure.kind == .invalidData ? .invalidJob : failure.kind, failure.diagnostics)
        }
        var validator = Validator(file: display)
        let folder = Self.folder(of: path)
        let job = validator.job(root, path: path, folder: folder)
        if !validator.diagnostics.isEmpty {
            throw InputError(.invalidJob, validator.diagnostics)
        }
        return job!
    }

    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }
}

/// Walks the job file's tree, building the `Job` and collecting diagnostics.
private struct Validator {
    let file: String
    var diagnostics: [Diagnostic] = []

    init(file: String) {
        self.file = file
    }

    mutating func error(_ mark: Mark, _ message: String, notes: [Diagnostic.Note] = []) {
        diagnostics.append(.error(at: mark.location(in: file), message, notes: notes))
    }

    func location(_ mark: Mark) -> SourceLocation { mark.location(in: file) }

    // MARK: Shapes

    /// The entries of a mapping whose keys are all in `allowed`; unknown and duplicate
    /// keys are errors.
    mutating func entries(_ node: YAMLNode, allowed: [String], context: String?) -> [String: YAMLNode]? {
        guard case .mapping(let pairs, _) = node else {
            error(node.mark, context.map { JobMessage.expectedMapping($0) } ?? JobMessage.notAMapping)
            return nil
        }
        var result: [String: YAMLNode] = [:]
        for (key, value) in pairs {
            guard case .scalar(let name, _, _) = key else {
                error(key.mark, JobMessage.unknownKey("…", in: context))
                continue
            }
            guard allowed.contains(name) else {
                error(key.mark, JobMessage.unknownKey(name, in: context, closest: JobMessage.closest(to: name, in: allowed)))
                continue
            }
            guard result[name] == nil else {
                error(key.mark, JobMessage.duplicateKey(name))
                continue
            }
            result[name] = value
        }
        return result
    }

    mutating func scalar(_ node: YAMLNode?, key: String) -> (String, Mark)? {
        guard let node else { return nil }
        guard case .scalar(let text, _, let mark) = node else {
            error(node.mark, JobMessage.expectedScalar(key))
            return nil
        }
        return (text, mark)
    }

    mutating func sequence(_ node: YAMLNode?, key: String) -> [YAMLNode] {
        guard let node else { return [] }
        switch node {
        case .sequence(let items, _): return items
        case .scalar(_, true, _) where isNull(node): return []
        default:
            error(node.mark, JobMessage.expectedSequence(key))
            return []
        }
    }

    func isNull(_ node: YAMLNode) -> Bool {
        guard case .scalar(let text, true, _) = node else { return false }
        return YAMLEventReader.isNull(text.utf8)
    }

    mutating func boolean(_ node: YAMLNode?, key: String, default value: Bool) -> Bool {
        guard let (text, mark) = scalar(node, key: key) else { return value }
        switch text {
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": return true
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": return false
        default:
            error(mark, JobMessage.invalidValue(key, text, expected: "true or false"))
            return value
        }
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ node: YAMLNode?, key: String, default value: T) -> T
    where T.RawValue == String {
        guard let (text, mark) = scalar(node, key: key) else { return value }
        let spelling = ["False", "FALSE", "no", "off"].contains(text) ? "false"
            : ["True", "TRUE", "yes", "on"].contains(text) ? "true" : text
        guard let result = T(rawValue: spelling) else {
            error(mark, JobMessage.invalidValue(key, text, expected: T.allCases.map(\.rawValue).joined(separator: ", ")))
            return value
        }
        return result
    }

    // MARK: The job

    mutating func job(_ root: YAMLNode?, path: String, folder: String) -> Job? {
        guard let root else {
            diagnostics.append(.error(at: SourceLocation(file: file, line: 1, column: 1), JobMessage.emptyJobFile))
            return nil
        }
        let top = ["version", "platforms", "apps", "inputs", "output", "rules", "migrations", "survivorship"]
        guard let entries = entries(root, allowed: top, context: nil) else { return nil }

        if let (version, mark) = scalar(entries["version"], key: "version") {
            if version != "1" { error(mark, JobMessage.unsupportedVersion(version)) }
        } else if entries["version"] == nil {
            error(root.mark, JobMessage.missingKey("version", in: nil))
        }

        let platforms = platforms(entries["platforms"])
        let apps = apps(entries["apps"], platforms: platforms)
        var inputs: [(pattern: String, location: SourceLocation)] = []
        if case .scalar = entries["inputs"], let (text, mark) = scalar(entries["inputs"], key: "inputs") {
            inputs.append((text, location(mark)))
        } else {
            for item in sequence(entries["inputs"], key: "inputs") {
                if let (text, mark) = scalar(item, key: "inputs") { inputs.append((text, location(mark))) }
            }
        }
        if entries["inputs"] == nil { error(root.mark, JobMessage.missingKey("inputs", in: nil)) }

        var job = Job(path: path, folder: folder, platforms: platforms, apps: apps, inputs: inputs)
        if let output = entries["output"], let fields = self.entries(output, allowed: ["database", "report", "schema"], context: "output") {
            if let (text, mark) = scalar(fields["database"], key: "database") {
                job.database = text
                // Job files get committed: a password comes from the environment or ~/.pgpass.
                if PostgresURI(text)?.hasPassword == true { error(mark, JobMessage.passwordInJobFile) }
            }
            if let (text, _) = scalar(fields["report"], key: "report") { job.report = text }
            if let (text, mark) = scalar(fields["schema"], key: "schema") {
                if Job.isSchemaName(text) { job.schema = text } else { error(mark, JobMessage.badSchemaName(text)) }
            }
        }
        if let rules = entries["rules"] {
            readRules(rules, into: &job)
        }
        if let node = entries["migrations"] {
            readMigrations(node, into: &job)
        }
        if let node = entries["survivorship"] {
            readSurvivorship(node, into: &job)
        }
        return job
    }

    mutating func platforms(_ node: YAMLNode?) -> [Platform] {
        var platforms: [Platform] = []
        var seen: [String: Mark] = [:]
        for item in sequence(node, key: "platforms") {
            guard let fields = entries(item, allowed: ["id", "subject"], context: "platforms") else { continue }
            guard let (id, mark) = scalar(fields["id"], key: "id") else {
                if fields["id"] == nil { error(item.mark, JobMessage.missingKey("id", in: "platforms")) }
                continue
            }
            if let first = seen[id] {
                error(mark, JobMessage.duplicatePlatform(id), notes: [.init(location: location(first), message: JobMessage.firstDefinedHere)])
                continue
            }
            seen[id] = mark
            platforms.append(Platform(id: id, subject: scalar(fields["subject"], key: "subject")?.0))
        }
        return platforms
    }

    mutating func apps(_ node: YAMLNode?, platforms: [Platform]) -> [App] {
        var apps: [App] = []
        var seen: [String: Mark] = [:]
        for item in sequence(node, key: "apps") {
            guard let fields = entries(item, allowed: ["appid", "name", "type", "platform"], context: "apps") else { continue }
            let appid = scalar(fields["appid"], key: "appid")
            if fields["appid"] == nil { error(item.mark, JobMessage.missingKey("appid", in: "apps")) }
            let type = scalar(fields["type"], key: "type")
            if fields["type"] == nil { error(item.mark, JobMessage.missingKey("type", in: "apps")) }
            var platform: Int?
            if let (id, mark) = scalar(fields["platform"], key: "platform") {
                platform = platforms.firstIndex { $0.id == id }
                if platform == nil { error(mark, JobMessage.unlistedPlatform(id)) }
            }
            guard let (appid, appidMark) = appid, let (typeText, typeMark) = type else { continue }
            guard App.isWellFormedAppID(Array(appid.utf8)) else {
                error(appidMark, JobMessage.malformedAppID(appid))
                continue
            }
            if let first = seen[appid] {
                error(appidMark, JobMessage.duplicateApp(appid), notes: [.init(location: location(first), message: JobMessage.firstDefinedHere)])
                continue
            }
            seen[appid] = appidMark
            guard let appType = AppType(rawValue: typeText) else {
                error(typeMark, JobMessage.unknownAppType(typeText))
                continue
            }
            apps.append(App(appid: appid, name: scalar(fields["name"], key: "name")?.0, type: appType, platform: platform))
        }
        return apps
    }

    mutating func readRules(_ node: YAMLNode, into job: inout Job) {
        let keys = ["unionid", "legacy_account", "phone", "email", "generic_limit"]
        guard let fields = entries(node, allowed: keys, context: "rules") else { return }
        job.rules.unionid = boolean(fields["unionid"], key: "unionid", default: true)
        job.rules.legacyAccount = boolean(fields["legacy_account"], key: "legacy_account", default: true)
        job.rules.phone = choice(fields["phone"], key: "phone", default: PhoneSetting.off)
        job.rules.email = choice(fields["email"], key: "email", default: EmailSetting.off)
        if let (text, mark) = scalar(fields["generic_limit"], key: "generic_limit") {
            if let limit = Int(text), limit >= 1 {
                job.rules.genericLimit = limit
            } else {
                error(mark, JobMessage.invalidValue("generic_limit", text, expected: "a whole number of at least 1"))
            }
        }
    }

    mutating func readMigrations(_ node: YAMLNode, into job: inout Job) {
        for item in sequence(node, key: "migrations") {
            guard let fields = entries(item, allowed: ["from", "to", "openid_map"], context: "migrations") else { continue }
            var ends: [Int] = []
            for key in ["from", "to"] {
                guard let (appid, mark) = scalar(fields[key], key: key) else {
                    if fields[key] == nil { error(item.mark, JobMessage.missingKey(key, in: "migrations")) }
                    continue
                }
                guard let app = job.appIndex(of: appid) else {
                    error(mark, JobMessage.unlistedApp(key, appid))
                    continue
                }
                ends.append(app)
            }
            let map = scalar(fields["openid_map"], key: "openid_map")
            if fields["openid_map"] == nil { error(item.mark, JobMessage.missingKey("openid_map", in: "migrations")) }
            if ends.count == 2, let (path, _) = map {
                job.migrations.append(Migration(from: ends[0], to: ends[1], openidMap: path, location: location(item.mark)))
            }
        }
    }

    mutating func readSurvivorship(_ node: YAMLNode, into job: inout Job) {
        guard let fields = entries(node, allowed: ["default", "app_priority", "fields"], context: "survivorship") else { return }
        job.survivorship.defaultPolicy = choice(fields["default"], key: "default", default: SurvivorshipPolicy.mostRecent)
        if let list = fields["app_priority"] {
            var types: [AppType] = []
            for item in sequence(list, key: "app_priority") {
                guard let (text, mark) = scalar(item, key: "app_priority") else { continue }
                guard let type = AppType(rawValue: text) else {
                    error(mark, JobMessage.unknownAppType(text))
                    continue
                }
                if !types.contains(type) { types.append(type) }
            }
            job.survivorship.appPriority = types
        }
        if let perField = fields["fields"] {
            guard case .mapping(let pairs, _) = perField else {
                if !isNull(perField) { error(perField.mark, JobMessage.expectedMapping("fields")) }
                return
            }
            for (key, value) in pairs {
                guard let (name, mark) = scalar(key, key: "fields") else { continue }
                guard let field = SurvivingField(rawValue: name) else {
                    error(mark, JobMessage.unknownField(name))
                    continue
                }
                job.survivorship.fields[field] = choice(value, key: name, default: job.survivorship.defaultPolicy)
            }
        }
    }
}
