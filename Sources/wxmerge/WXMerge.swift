import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

@main
struct WXMerge: ParsableCommand {
    static func main() {
        #if canImport(Glibc)
        // Large arrays (a million records' keys) come and go between phases. glibc raises
        // its mmap threshold after such frees and then keeps later ones in the heap,
        // so memory freed by one phase could stay with the process: pin the threshold.
        _ = mallopt(-3 /* M_MMAP_THRESHOLD */, 1 << 20)
        #endif
        main(nil)
    }
}

#if canImport(Glibc)
/// glibc's `mallopt` (malloc.h, which the Glibc module leaves out).
@_silgen_name("mallopt")
private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32

/// glibc's `malloc_trim`: gives the heap's free pages back to the system.
@_silgen_name("malloc_trim")
private func malloc_trim(_ pad: Int) -> Int32
#endif

/// Gives memory freed by the phases so far back to the system: what linking sorted and
/// grouped is gone once users exist, and the write phase should not carry it.
func releaseFreedMemory() {
    #if canImport(Glibc)
    _ = malloc_trim(0)
    #endif
}

extension WXMerge {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "wxmerge",
        abstract: "Merge the user tables of a company's WeChat apps into one account system.",
        version: version,
        subcommands: [RunCommand.self, CheckCommand.self, ExplainCommand.self, GenerateCommand.self, ScoreCommand.self]
    )
}
