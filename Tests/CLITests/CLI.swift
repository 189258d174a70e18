import Foundation
import Kernels
import TestSupport

/// Runs the `higgs` binary that `swift test` built beside this test bundle, as a user would.
enum CLI {
    static let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("higgs")

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `higgs arguments...` in `folder`, with HOME there too so nothing of the user's is found or written.
    /// `environment` adds to (or, with an empty value, removes from) the inherited variables; `binary`, a copy of
    /// it elsewhere; `interruptAt`: a Ctrl-C (SIGINT, or `signal`) is sent once stderr holds that text.
    static func run(_ arguments: [String], in folder: URL, environment extra: [String: String] = [:],
                    binary: URL = CLI.binary, interruptAt: String? = nil, signal: Int32 = SIGINT) throws -> Result {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = folder
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = folder.path
        for name in ["HIGGS_MODEL", "HIGGS_AUDIO_TOKENIZER", "XDG_CONFIG_HOME", "HF_HOME", "HF_HUB_CACHE"] {
            environment[name] = nil
        }
        // The OpenBLAS kernels of this process (which does not restart itself onto wider ones, as higgs may), so
        // that what the binary computes can be compared exactly with what the library computes here.
        environment["OPENBLAS_CORETYPE"] = BLAS.coreName
        for (name, value) in extra { environment[name] = value.isEmpty ? nil : value }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes while the process runs, so neither fills up and blocks it.
        final class Box: @unchecked Sendable { var data = Data() }
        let errData = Box()
        let pid = process.processIdentifier
        let reader = Thread {
            while true {
                let more = err.fileHandleForReading.availableData
                if more.isEmpty { break }
                let before = errData.data.count
                errData.data += more
                if let text = interruptAt, !String(decoding: errData.data[..<before], as: UTF8.self).contains(text),
                   String(decoding: errData.data, as: UTF8.self).contains(text) {
                    kill(pid, signal)
                }
            }
        }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.data, as: UTF8.self))
    }
}
