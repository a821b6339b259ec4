// `wxmerge` as the tests build it: the same commands, which stop (SIGSTOP) at the run's
// checkpoint that WXMERGE_TEST_STOP_AT names, so that a test can kill the run there.
// The shipped `wxmerge` has no such hook.
import Foundation
import WXMergeCLI

let stopAt = ProcessInfo.processInfo.environment["WXMERGE_TEST_STOP_AT"]
CommandLineTool.main(checkpoint: { name in
    if name == stopAt { raise(SIGSTOP) }
})
