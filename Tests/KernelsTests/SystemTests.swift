import Foundation
import Kernels
import TestSupport
import Testing

/// The default thread count: the physical cores among the CPUs this process may run on, capped by its
/// cgroup's CPU quota, read from a machine's files laid out under a temporary root.
@Suite struct SystemTests {
    /// A machine of `cores` cores with two hyperthreads each (CPU c and c + cores share core c), this
    /// process allowed `allowed`.
    static func machine(cores: Int, allowed: String, topology: Bool = true) throws -> URL {
        let root = try Fixtures.temporaryFolder("higgs-system")
        try write("Name:\thiggs\nCpus_allowed:\tff\nCpus_allowed_list:\t\(allowed)\nMems_allowed:\t1\n", to: "proc/self/status", under: root)
        try write("0::/\n", to: "proc/self/cgroup", under: root)
        if topology {
            for cpu in 0..<2 * cores {
                try write("\(cpu % cores)\n", to: "sys/devices/system/cpu/cpu\(cpu)/topology/core_id", under: root)
                try write("0\n", to: "sys/devices/system/cpu/cpu\(cpu)/topology/physical_package_id", under: root)
            }
        }
        return root
    }

    static func write(_ text: String, to path: String, under root: URL) throws {
        let file = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: file, atomically: true, encoding: .utf8)
    }

    @Test func countsCoresNotHyperthreadsAmongTheAllowedCPUs() throws {
        let all = try Self.machine(cores: 4, allowed: "0-7")
        defer { try? FileManager.default.removeItem(at: all) }
        #expect(System.usableCores(root: all) == 4)
        let siblings = try Self.machine(cores: 4, allowed: "1,5")  // both threads of core 1
        defer { try? FileManager.default.removeItem(at: siblings) }
        #expect(System.usableCores(root: siblings) == 1)
        let some = try Self.machine(cores: 4, allowed: "0-2,6")
        defer { try? FileManager.default.removeItem(at: some) }
        #expect(System.usableCores(root: some) == 3)
        // Without topology files (some ARM kernels, minimal containers) each allowed CPU counts.
        let bare = try Self.machine(cores: 4, allowed: "2-4", topology: false)
        defer { try? FileManager.default.removeItem(at: bare) }
        #expect(System.usableCores(root: bare) == 3)
    }

    @Test func aCgroupQuotaCapsTheCores() throws {
        let v2 = try Self.machine(cores: 8, allowed: "0-15")
        defer { try? FileManager.default.removeItem(at: v2) }
        try Self.write("0::/user.slice/higgs\n", to: "proc/self/cgroup", under: v2)
        try Self.write("150000 100000\n", to: "sys/fs/cgroup/user.slice/higgs/cpu.max", under: v2)
        #expect(System.cpuQuota(root: v2) == 1.5)
        #expect(System.usableCores(root: v2) == 2)
        try Self.write("max 100000\n", to: "sys/fs/cgroup/user.slice/higgs/cpu.max", under: v2)
        #expect(System.usableCores(root: v2) == 8)

        let v1 = try Self.machine(cores: 8, allowed: "0-15")
        defer { try? FileManager.default.removeItem(at: v1) }
        try Self.write("4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n", to: "proc/self/cgroup", under: v1)
        try Self.write("300000\n", to: "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", under: v1)
        try Self.write("100000\n", to: "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", under: v1)
        #expect(System.usableCores(root: v1) == 3)
        try Self.write("-1\n", to: "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", under: v1)
        #expect(System.cpuQuota(root: v1) == nil)
        #expect(System.usableCores(root: v1) == 8)
    }

    @Test func cpuListsAndMissingFiles() throws {
        #expect(System.cpuList("0-3,8,10-11") == [0, 1, 2, 3, 8, 10, 11])
        #expect(System.cpuList(" 5 ") == [5])
        #expect(System.cpuList("3-1") == nil && System.cpuList("a") == nil && System.cpuList("1-2-3") == nil)
        let empty = try Fixtures.temporaryFolder("higgs-system")
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(System.usableCores(root: empty) == nil)
        // This machine: at least one core, and no more than the CPUs it has.
        #expect(System.physicalCores >= 1 && System.physicalCores <= ProcessInfo.processInfo.activeProcessorCount)
    }
}
