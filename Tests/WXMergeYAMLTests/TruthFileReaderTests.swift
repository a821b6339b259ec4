import Testing
import WXMergeCore
@testable import WXMergeYAML

@Suite struct TruthFileReaderTests {
    /// People are numbered as they first appear; each record is keyed by `file,index`.
    @Test func eachRecordGetsItsPerson() throws {
        let workspace = Workspace()
        workspace.write("truth.csv", "file,index,person\nexports/a.yaml,0,p7\nexports/b.yaml,3,p2\nexports/a.yaml,1,p7\n")
        let truth = try TruthFileReader().read(path: workspace.folder + "/truth.csv")
        #expect(truth == ["exports/a.yaml,0": 0, "exports/b.yaml,3": 1, "exports/a.yaml,1": 0])
    }

    /// A line without a comma is bad data at its line; a missing file is a missing input.
    @Test func aBadLineOrAMissingFileIsSaidSo() throws {
        let workspace = Workspace()
        workspace.write("truth.csv", "file,index,person\nexports/a.yaml,0,p1\nno comma here\n")
        do {
            _ = try TruthFileReader().read(path: workspace.folder + "/truth.csv")
            Issue.record("the bad line was read")
        } catch let error as InputError {
            #expect(error.kind == .invalidData)
            #expect(error.diagnostics.first?.location?.line == 3)
        }
        #expect(failure { _ = try TruthFileReader().read(path: workspace.folder + "/none.csv") }?.kind == .missingFile)
    }
}
