import Foundation

/// The figures of one `higgs bench` run, as a table and as JSON.
struct BenchReport {
    struct Decode {
        var milliseconds: Double
        var floorMilliseconds: Double
        /// The read bandwidth probed just before and just after the timing (GB/s); the floor uses their mean.
        var bandwidthBefore: Double
        var bandwidthAfter: Double
        var ratio: Double { milliseconds / floorMilliseconds }
        /// Seconds of generation per second of audio (25 frames per second).
        var realTimeFactor: Double { milliseconds / 40 }
        /// The read bandwidth (GB/s) at which a step would take 40 ms, at this timing's ratio to its floor:
        /// what a machine needs for real time, which this one's moving bandwidth does not say by itself.
        var realTimeBandwidth: Double { (bandwidthBefore + bandwidthAfter) / 2 * realTimeFactor }
    }

    struct Row {
        var precision: String
        var firstLoadSeconds = 0.0
        var cachedLoadSeconds: Double?
        var weightBytes = 0
        var stepBytes = 0
        var prefillPositionsPerSecond = 0.0
        var decode: [Int: Decode] = [:]
        /// Milliseconds of one step of this many generations together, on the last thread count.
        var together: [Int: Double] = [:]
        var peakResidentBytes = 0

        func line(_ threads: [Int]) -> String {
            let decodes = threads.compactMap { t in
                decode[t].map { String(format: "%d thr %.1f ms (%.2fx floor)", t, $0.milliseconds, $0.ratio) }
            }
            return "\(precision): " + decodes.joined(separator: ", ")
        }
    }

    var machine: String
    var instructionSet: String
    var bandwidth: [Int: Double] = [:]
    var rows: [Row] = []
    var codecRealTimeFactor: Double?

    static func machineDescription() -> String {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = info.split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        let memory = ProcessInfo.processInfo.physicalMemory / (1 << 30)
        return "\(model), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(memory) GiB"
    }

    func table(_ threads: [Int]) -> String {
        var lines = ["machine: \(machine); kernels: \(instructionSet)"]
        lines.append("bandwidth (best seen): " + threads.map { String(format: "%d thr %.1f GB/s", $0, bandwidth[$0] ?? 0) }.joined(separator: ", ")
                     + "; each floor uses the mean of the bandwidth probed just before and just after its timing; prefill is the best of two")
        var header = "precision | load s (cached) | weights GB | step GB | prefill pos/s"
        for t in threads { header += " | decode ms @\(t) (x floor)" }
        header += " | RTF @\(threads.last!) | real time from | peak RSS GB"
        lines.append(header)
        lines.append(String(repeating: "-", count: header.count))
        for r in rows {
            var line = r.precision.padding(toLength: 9, withPad: " ", startingAt: 0) + String(format: " | %6.1f", r.firstLoadSeconds)
            line += r.cachedLoadSeconds.map { String(format: " (%5.1f)", $0) } ?? "        "
            line += String(format: " | %10.2f | %7.2f | %13.1f", Double(r.weightBytes) / 1e9, Double(r.stepBytes) / 1e9,
                           r.prefillPositionsPerSecond)
            for t in threads {
                let d = r.decode[t]
                line += d.map { String(format: " | %8.1f (%.2fx)%@", $0.milliseconds, $0.ratio, String(repeating: " ", count: max(0, 8 - String(t).count))) } ?? " | -"
            }
            line += String(format: " | %6.2f", r.decode[threads.last!]?.realTimeFactor ?? 0)
            line += String(format: " | %8.1f GB/s", r.decode[threads.last!]?.realTimeBandwidth ?? 0)
            line += String(format: " | %6.2f", Double(r.peakResidentBytes) / 1e9)  // GB, as the weights
            lines.append(line)
        }
        for r in rows where !r.together.isEmpty {
            guard let one = r.decode[threads.last!]?.milliseconds else { continue }
            let batches = r.together.keys.sorted().map { n in
                String(format: "%d: %.1f ms a step (%.2fx one's, %.1f ms a generation)", n, r.together[n]!, r.together[n]! / one,
                       r.together[n]! / Double(n))
            }
            lines.append("\(r.precision) generations together @\(threads.last!): " + batches.joined(separator: "; "))
        }
        if let codecRealTimeFactor {
            lines.append(String(format: "codec decode: %.1fx faster than real time", 1 / codecRealTimeFactor))
        }
        return lines.joined(separator: "\n")
    }

    func json(_ threads: [Int]) throws -> Data {
        let object: [String: Any] = [
            "machine": machine, "kernels": instructionSet,
            "bandwidth_gb_s": Dictionary(uniqueKeysWithValues: bandwidth.map { (String($0.key), $0.value) }),
            "precisions": rows.map { r -> [String: Any] in
                var row: [String: Any] = [
                    "precision": r.precision, "load_seconds": r.firstLoadSeconds, "weight_bytes": r.weightBytes,
                    "audio_step_bytes": r.stepBytes, "prefill_positions_per_second": r.prefillPositionsPerSecond,
                    "peak_rss_bytes": r.peakResidentBytes,
                    "decode": Dictionary(uniqueKeysWithValues: r.decode.map { t, d in
                        (String(t), ["ms_per_step": d.milliseconds, "floor_ms": d.floorMilliseconds, "ratio_to_floor": d.ratio,
                                     "real_time_factor": d.realTimeFactor, "real_time_from_gb_s": d.realTimeBandwidth,
                                     "bandwidth_before_gb_s": d.bandwidthBefore,
                                     "bandwidth_after_gb_s": d.bandwidthAfter])
                    }),
                ]
                if let cached = r.cachedLoadSeconds { row["cached_load_seconds"] = cached }
                if !r.together.isEmpty {
                    row["together"] = Dictionary(uniqueKeysWithValues: r.together.map { n, ms in
                        (String(n), ["ms_per_step": ms, "ms_per_generation": ms / Double(n)])
                    })
                }
                return row
            },
            "codec_real_time_factor": codecRealTimeFactor as Any,
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }
}
