import WXMergeCore
import Foundation

/// Reads a truth file for `score`: a CSV with the header `file,index,person` (as
/// `generate` writes), one line per record.
public struct TruthFileReader {
    public init() {}

    /// Each record's person, by `file,index`; people numbered as they first appear.
    /// - Throws: `InputError`: a missing file when it cannot be read, invalid data at a
    ///   line without a comma.
    public func read(path: String) throws -> [String: Int32] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(.missingFile, [.error(at: nil, "cannot read the truth file '\(path)'")])
        }
        var people: [Substring: Int32] = [:]
        var truth: [String: Int32] = [:]
        let text = String(decoding: data, as: UTF8.self)
        for (number, line) in text.split(separator: "\n").enumerated() where number > 0 {
            guard let comma = line.lastIndex(of: ",") else {
                throw InputError(.invalidData, [.error(at: SourceLocation(file: path, line: number + 1, column: 1),
                                                       "a truth line must be file,index,person")])
            }
            let person = line[line.index(after: comma)...]
            let id = people[person] ?? Int32(people.count)
            people[person] = id
            truth[String(line[..<comma])] = id
        }
        return truth
    }
}
