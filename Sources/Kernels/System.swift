import Foundation

/// Facts about the machine that sizing decisions depend on.
public enum System {
    /// The cores this process may use, counted as physical cores (hyperthreads share a core's bandwidth
    /// and FMA units, so they do not help here): the CPUs its affinity allows, one per core they sit on,
    /// and no more than its cgroup's CPU quota (a container given two CPUs of a 64-core host gets 2).
    public static let physicalCores: Int =
        usableCores(root: URL(fileURLWithPath: "/")) ?? ProcessInfo.processInfo.activeProcessorCount

    /// `physicalCores` from the files under `root` (`/` but in tests): `proc/self/status` (the allowed
    /// CPUs), `sys/devices/system/cpu/cpuN/topology` (their cores) and the cgroup's quota. Nil when the
    /// allowed CPUs cannot be read.
    public static func usableCores(root: URL) -> Int? {
        guard let status = text(root, "proc/self/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }),
              let allowed = cpuList(line.dropFirst("Cpus_allowed_list:".count)), !allowed.isEmpty
        else { return nil }
        var cores = Set<String>()
        for cpu in allowed {
            let topology = "sys/devices/system/cpu/cpu\(cpu)/topology/"
            if let core = text(root, topology + "core_id") {
                cores.insert((text(root, topology + "physical_package_id") ?? "0") + "/" + core)
            } else {
                cores.insert("cpu \(cpu)")  // no topology: each CPU its own core
            }
        }
        var count = cores.count
        if let quota = cpuQuota(root: root) { count = min(count, Int(quota.rounded(.up))) }
        return max(1, count)
    }

    /// CPUs' worth of time the process's cgroup may use (cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us` over
    /// `cpu.cfs_period_us`), the least of its own group's and the hierarchy root's; nil when unlimited.
    public static func cpuQuota(root: URL) -> Double? {
        var quotas: [Double] = []
        func add(_ quota: String?, _ period: String?) {
            guard let quota = quota.flatMap(Double.init), let period = period.flatMap(Double.init),
                  quota > 0, period > 0 else { return }
            quotas.append(quota / period)
        }
        for line in (text(root, "proc/self/cgroup") ?? "").split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let path = fields[2] == "/" ? "" : String(fields[2])
            if fields[0] == "0" && fields[1].isEmpty {  // v2: "max 100000" or "200000 100000"
                for folder in Set(["sys/fs/cgroup" + path, "sys/fs/cgroup"]) {
                    let parts = text(root, folder + "/cpu.max")?.split(separator: " ").map(String.init) ?? []
                    if parts.count == 2 { add(parts[0], parts[1]) }
                }
            } else if fields[1].split(separator: ",").contains("cpu") {  // v1: the cpu controller's folder
                let controller = "sys/fs/cgroup/" + fields[1]
                for folder in Set([controller + path, controller, "sys/fs/cgroup/cpu" + path, "sys/fs/cgroup/cpu"]) {
                    add(text(root, folder + "/cpu.cfs_quota_us"), text(root, folder + "/cpu.cfs_period_us"))
                }
            }
        }
        return quotas.min()
    }

    /// "0-3,8,10-11" as CPU numbers; nil if malformed.
    public static func cpuList<S: StringProtocol>(_ list: S) -> [Int]? {
        var cpus: [Int] = []
        for range in list.trimmingCharacters(in: .whitespaces).split(separator: ",") {
            let ends = range.split(separator: "-").map { Int($0) }
            guard let first = ends.first, let low = first, let last = ends.last, let high = last, ends.count <= 2, low <= high
            else { return nil }
            cpus += Array(low...high)
        }
        return cpus
    }

    private static func text(_ root: URL, _ path: String) -> String? {
        (try? String(contentsOf: root.appendingPathComponent(path), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
