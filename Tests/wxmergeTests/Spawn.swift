import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Starts `wxmerge` as built for the tests (`Executable.stopping`) with posix_spawn, so a
/// test can wait for it to stop at a checkpoint (`WXMERGE_TEST_STOP_AT`) and kill it there
/// with SIGKILL.
struct SpawnedRun {
    let pid: pid_t

    /// A run started otherwise (`Executable.start`).
    init(pid: pid_t) {
        self.pid = pid
    }

    /// - Parameter variables: set (or, when nil, removed) in the run's environment.
    init(_ arguments: [String], stopAt checkpoint: String, variables: [String: String?] = [:]) throws {
        var environment = ProcessInfo.processInfo.environment
        environment["WXMERGE_TEST_STOP_AT"] = checkpoint
        for (name, value) in variables { environment[name] = value }
        let argv = ([Executable.stopping.path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        let code = posix_spawn(&pid, Executable.stopping.path, &actions, nil, argv, envp)
        guard code == 0 else { throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EINVAL) }
        self.pid = pid
    }

    /// Waits until the run stops at its checkpoint (true) or ends without reaching it (false).
    func waitUntilStopped() -> Bool {
        var status: Int32 = 0
        while waitpid(pid, &status, WUNTRACED) < 0 {
            if errno != EINTR { return false }
        }
        // WIFSTOPPED: the low byte is 0x7f.
        return status & 0xff == 0x7f
    }

    /// Lets a stopped run go on and waits for it: its exit status, or -1 when a signal ended it.
    func resume() -> Int32 {
        _ = Glibc.kill(pid, SIGCONT)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status & 0x7f == 0 ? (status >> 8) & 0xff : -1
    }

    /// The environment the run's process started with (it may have started itself
    /// again), as `NAME=value` entries.
    func environment() throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Kills the run with SIGKILL and reaps it.
    func kill() {
        _ = Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }
}

/// A job big enough that a run takes a while: two apps of one platform, `people`
/// people, most in both.
enum GeneratedJob {
    static func write(people: Int, to folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder + "/exports", withIntermediateDirectories: true)
        try """
            version: 1
            platforms:
              - id: acme
            apps:
              - appid: wx00000000000000a1
                type: website
                platform: acme
              - appid: wx00000000000000a2
                type: mini_program
                platform: acme
            inputs:
              - exports/*.yaml
            output:
              database: out/merged.db
              report: out/report
            """.write(toFile: folder + "/wxmerge.yaml", atomically: true, encoding: .utf8)
        for (app, name) in [("wx00000000000000a1", "web"), ("wx00000000000000a2", "mini")] {
            var text = "source: \(name)\nappid: \(app)\nrecords:\n"
            for person in 0..<people where name == "web" || person % 3 != 0 {
                text += """
                      - openid: o\(name)\(String(person, radix: 16))x7Yq5AbCdEfGhIjKlMn
                        unionid: u\(String(person * 7919, radix: 36))AbCdEfGhIjKl
                        legacy_id: \(person)
                        nickname: 用户\(person)
                        avatar_url: https://thirdwx.qlogo.cn/mmopen/\(name)/\(person)/132
                        phone: "+86 138 \(String(format: "%04d", person % 10000)) \(String(format: "%04d", person / 10000))"
                        created_at: 2021-03-04T05:06:07Z
                        updated_at: \(1_600_000_000 + person)
                        attributes: { vip: \(person % 5) }

                    """
            }
            try text.write(toFile: folder + "/exports/\(name).yaml", atomically: true, encoding: .utf8)
        }
    }
}
