public import WXMergeCore
internal import WXMergeStore
internal import WXMergeYAML

/// `wxmerge score`: how well a merged database's users match a truth file's people.
public struct Score {
    public var jobPath: String
    /// The database instead of the job's.
    public var database: String?
    public var truthPath: String

    public init(jobPath: String, database: String?, truthPath: String) {
        self.jobPath = jobPath
        self.database = database
        self.truthPath = truthPath
    }

    /// Pairwise precision, recall and F1, and the recall the job's rules allow.
    /// - Throws: `InputError` (invalid data) when the truth file does not describe the
    ///   database's inputs: other files, or other record counts (accepted and rejected).
    public func compute() throws -> PairwiseScore {
        let job = try JobFileReader().read(path: jobPath)
        let path = database ?? job.databasePath
        let truth = try TruthFileReader().read(path: truthPath)
        let reader = ScoreReader(rules: job.rules)
        return try readingOutput(path, schema: job.schema) { output in
            try check(truth, against: try reader.recordsByFile(in: output), database: PostgresURI(path)?.displayName ?? path)
            return PairwiseScore(try reader.items(in: output, truth: truth))
        }
    }

    /// Refuses a truth file of another job: a truth file whose files or counts differ
    /// would score the few records whose names happen to match.
    private func check(_ truth: [String: Int32], against counts: [String: Int], database: String) throws {
        var truthCounts: [String: Int] = [:]
        for key in truth.keys {
            guard let comma = key.lastIndex(of: ",") else { continue }
            truthCounts[String(key[..<comma]), default: 0] += 1
        }
        let files = Set(truthCounts.keys).union(counts.keys).sorted()
        let differences = files.filter { truthCounts[$0] != counts[$0] }.map { file in
            Diagnostic.Note(location: nil, message: "'\(file)': \(truthCounts[file] ?? 0) records in the truth file, "
                            + "\(counts[file] ?? 0) in the database")
        }
        guard differences.isEmpty else {
            throw InputError(.invalidData, [.error(
                at: nil, "the truth file '\(truthPath)' does not describe the inputs of '\(database)'; nothing was scored",
                notes: Array(differences.prefix(5)))])
        }
    }
}
