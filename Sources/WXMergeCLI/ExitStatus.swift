import ArgumentParser
import WXMergeCore
import WXMergeRun
import WXMergeSample
import WXMergeStore
import WXMergeYAML

/// The exit codes, chosen here alone from what the libraries throw (the README lists
/// them): 0 done, 1 a `--fail-on` condition held (or `explain` found no user), 65 bad
/// data, 66 a missing input, 69 an unreachable database server, 70 an internal error, 73 the output cannot be written, 75
/// another run holds the output, 78 a bad job file.
enum ExitStatus {
    static let conditionFound: Int32 = 1
    static let dataError: Int32 = 65
    static let missingInput: Int32 = 66
    static let serverUnavailable: Int32 = 69
    static let internalError: Int32 = 70
    static let outputNotWritable: Int32 = 73
    static let outputBusy: Int32 = 75
    static let badJobFile: Int32 = 78

    /// The codes as `wxmerge --help` lists them.
    static let help = """
        Exit codes:
          0   done
          1   done, but a --fail-on condition held (explain: no user holds the key)
          64  usage error
          65  bad input data (with --strict, any rejected record)
          66  missing input (or an input that changed while it was read)
          69  the database server cannot be reached (connection, authentication, TLS)
          70  internal error
          73  the output cannot be written, or is not a wxmerge output
          75  another run is writing the same output (--wait SECONDS waits for it)
          78  bad job file
        """

    static func code(for error: any DiagnosedError) -> Int32 {
        switch error {
        case let error as InputError:
            switch error.kind {
            case .invalidData: dataError
            case .missingFile: missingInput
            case .invalidJob: badJobFile
            }
        case let error as StoreError:
            switch error.kind {
            case .cannotWrite: outputNotWritable
            case .busy: outputBusy
            case .missing: missingInput
            case .unavailable: serverUnavailable
            }
        case is SpoolError: outputNotWritable
        case let error as RunError:
            switch error.kind {
            case .rejectedRecords: dataError
            }
        case is SampleError: outputNotWritable
        default: internalError
        }
    }

    /// Runs `body`; a diagnosed failure is printed and becomes its exit code.
    static func reporting<Result>(_ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as any DiagnosedError {
            for diagnostic in error.diagnostics { Console.error(diagnostic) }
            throw ExitCode(code(for: error))
        }
    }
}
