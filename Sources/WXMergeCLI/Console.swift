import WXMergeCore
import WXMergeYAML
import WXMergeRun
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Where the command line prints: diagnostics and progress on stderr, the summary on
/// stdout.
enum Console {
    static func error(_ diagnostic: Diagnostic) {
        printError(diagnostic.formatted)
    }

    static func printError(_ text: String) {
        writeError(text + "\n")
    }

    /// Writes to file descriptor 2 directly: C's `stderr` is shared mutable state to Swift 6.
    static func writeError(_ text: String) {
        var bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + written, $0.count - written) }
            if n <= 0 { return }
            written += n
        }
        bytes.removeAll()
    }

    static var isTerminal: Bool { isatty(2) == 1 }
}

/// The progress line on stderr while input files are read: shown only on a terminal,
/// updated four times a second, erased at the end.
final class ProgressLine: @unchecked Sendable {
    private let timer: (any DispatchSourceTimer)?
    private let lock = DispatchQueue(label: "wxmerge.progress")

    init(enabled: Bool, totalBytes: Int, files: Int, progress: ReadProgress) {
        guard enabled, Console.isTerminal else {
            timer = nil
            return
        }
        let start = DispatchTime.now()
        let timer = DispatchSource.makeTimerSource(queue: lock)
        timer.schedule(deadline: .now() + .milliseconds(250), repeating: .milliseconds(250))
        timer.setEventHandler {
            let bytes = progress.bytes
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            let rate = seconds > 0 ? Double(bytes) / seconds : 0
            let remaining = rate > 0 ? Double(totalBytes - bytes) / rate : 0
            let line = "reading: \(progress.files) of \(files) files, \(progress.records) records, "
                + "\(Self.megabytes(bytes)) of \(Self.megabytes(totalBytes)) MB, "
                + "\(Self.megabytes(Int(rate))) MB/s, about \(Int(remaining.rounded(.up))) s left"
            Console.writeError("\r\u{1B}[K" + line)
        }
        self.timer = timer
        timer.resume()
    }

    /// Replaces the line with the name of a later phase (on a terminal only).
    func show(_ status: String) {
        guard timer != nil else { return }
        lock.sync { Console.writeError("\r\u{1B}[K" + status) }
    }

    /// Erases the line.
    func clear() {
        guard timer != nil else { return }
        lock.sync { Console.writeError("\r\u{1B}[K") }
    }

    func finish() {
        guard let timer else { return }
        lock.sync {
            timer.cancel()
            Console.writeError("\r\u{1B}[K")
        }
    }

    private static func megabytes(_ bytes: Int) -> String {
        String(bytes / 1_000_000)
    }
}

/// The progress line of a run, made when the reading begins (see `RunEvents.Stage`).
final class ProgressBox: Sendable {
    private let quiet: Bool
    private let line = Locked<ProgressLine?>(nil)

    init(quiet: Bool) {
        self.quiet = quiet
    }

    func show(_ stage: RunEvents.Stage) {
        switch stage {
        case .reading(let files, let progress):
            let made = ProgressLine(enabled: !quiet, totalBytes: files.reduce(0) { $0 + $1.size }, files: files.count,
                                    progress: progress)
            line.withLock { $0 = made }
        case .reconciling(let records):
            current?.finish()
            current?.show("reconciling \(records) records…")
        case .writing(let output):
            current?.show("writing \(output)…")
        }
    }

    func clear() {
        current?.finish()
    }

    private var current: ProgressLine? { line.withLock { $0 } }
}
