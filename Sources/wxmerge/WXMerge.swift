import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

@main
struct WXMerge: ParsableCommand {
    static func main() {
        #if canImport(Glibc)
        useHugePages()
        // Large arrays (a million records' keys) come and go between phases. glibc raises
        // its mmap threshold after such frees and then keeps later ones in the heap,
        // so memory freed by one phase could stay with the process: pin the threshold.
        _ = mallopt(-3 /* M_MMAP_THRESHOLD */, 1 << 20)
        #endif
        main(nil)
    }
}

#if canImport(Glibc)
/// Asks glibc to back the heap and large allocations with transparent huge pages where
/// the system allows them (`madvise` mode, as on Debian): a run reads and sorts hundreds
/// of megabytes of records in random order, and with 2 MB pages it misses the TLB far
/// less and takes a twentieth of the page faults; at a million people the write phase
/// took about 0.5 s less, for a few MB more at the peak. glibc reads the setting
/// (`GLIBC_TUNABLES`) only when a process starts, so the process starts itself again,
/// once, with it set; a `glibc.malloc.hugetlb` the caller set is left as it is.
private func useHugePages() {
    let tunable = "glibc.malloc.hugetlb=1"
    let current = getenv("GLIBC_TUNABLES").map { String(cString: $0) }
    if let current, current.contains("glibc.malloc.hugetlb") { return }
    setenv("GLIBC_TUNABLES", current.map { $0.isEmpty ? tunable : $0 + ":" + tunable } ?? tunable, 1)
    // Returns only when the process could not start itself again; it runs on as it is.
    execv("/proc/self/exe", CommandLine.unsafeArgv)
}

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
