import Foundation

/// Facts about the machine that sizing decisions depend on.
public enum System {
    /// Physical cores (hyperthreads share a core's bandwidth and FMA units, so they do not help here).
    public static let physicalCores: Int = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else {
            return ProcessInfo.processInfo.activeProcessorCount
        }
        var cores = Set<String>()
        var physical = "0"
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            if parts[0] == "physical id" { physical = parts[1] }
            if parts[0] == "core id" { cores.insert(physical + "/" + parts[1]) }
        }
        return cores.isEmpty ? ProcessInfo.processInfo.activeProcessorCount : cores.count
    }()
}
