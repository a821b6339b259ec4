import ArgumentParser
import WXMergeCore
import WXMergeRun
#if canImport(Glibc)
import Glibc
#endif

/// The `wxmerge` command line: options in, the libraries called, text and an exit code out.
public enum CommandLineTool {
    /// Sets the process up and runs the command its arguments name.
    /// - Parameter checkpoint: called at a run's named points (see `RunEvents`); only a
    ///   test build passes one, to stop a run where a test kills it.
    public static func main(checkpoint: (@Sendable (String) throws -> Void)? = nil) -> Never {
        #if canImport(Glibc)
        useHugePages()
        // Large arrays (a million records' keys) come and go between phases. glibc raises
        // its mmap threshold after such frees and then keeps later ones in the heap,
        // so memory freed by one phase could stay with the process: pin the threshold.
        _ = mallopt(-3 /* M_MMAP_THRESHOLD */, 1 << 20)
        #endif
        if let checkpoint { Hooks.checkpoint.withLock { $0 = checkpoint } }
        var command: any ParsableCommand
        do {
            command = try WXMerge.parseAsRoot(nil)
        } catch {
            exit(usage(error))
        }
        hidePasswords()
        do {
            try command.run()
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch where WXMerge.exitCode(for: error) != .failure {
            exit(usage(error))  // help asked for, or a usage error found while running
        } catch {
            // What the libraries report is printed by the commands; anything else is a bug.
            Console.printError("wxmerge: error: \(error)")
            exit(ExitStatus.internalError)
        }
        exit(0)
    }

    /// Overwrites the passwords of PostgreSQL URIs in the process's own arguments, which
    /// `ps` and /proc/PID/cmdline show, once the options are parsed (from a copy).
    private static func hidePasswords() {
        for index in 1..<Int(CommandLine.argc) {
            guard let argument = CommandLine.unsafeArgv[index],
                  let uri = PostgresURI(String(cString: argument)), uri.hasPassword else { continue }
            for (offset, byte) in uri.maskedBytes.enumerated() { argument[offset] = CChar(bitPattern: byte) }
        }
    }

    /// Prints a usage error (or help, or the version) as the other errors are printed,
    /// `wxmerge: error: …` followed by the usage line; its exit code.
    private static func usage(_ error: any Error) -> Int32 {
        let code = WXMerge.exitCode(for: error).rawValue
        let text = WXMerge.fullMessage(for: error)
        if code == 0 {
            print(text)
        } else if text.hasPrefix("Error: ") {
            Console.printError("wxmerge: error: " + text.dropFirst("Error: ".count))
        } else if !text.isEmpty {
            Console.printError(text)
        }
        return code
    }
}

/// What a test build injects into the commands (`CommandLineTool.main(checkpoint:)`).
enum Hooks {
    static let checkpoint = Locked<@Sendable (String) throws -> Void>({ _ in })
}

struct WXMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wxmerge",
        abstract: "Merge the user tables of a company's WeChat apps into one account system.",
        discussion: ExitStatus.help,
        version: wxmergeVersion,
        subcommands: [RunCommand.self, CheckCommand.self, ExplainCommand.self, ExportCommand.self, GenerateCommand.self, ScoreCommand.self]
    )
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
#endif
