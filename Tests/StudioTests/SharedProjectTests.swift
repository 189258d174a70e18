import Foundation
import Studio
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A project open in two studios at once: the open mark holds both, and each studio's autosave is its own.
/// A `sleep` stands for the other studio (a live process other than this one).
@Suite struct SharedProjectTests {
    private func otherStudio() throws -> Process {
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: "/bin/sleep")
        sleeper.arguments = ["60"]
        try sleeper.run()
        return sleeper
    }

    private func end(_ process: Process) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)  // SIGTERM may be ignored, as the test runner's children inherit
        process.waitUntilExit()
    }

    @Test func theOpenMarkStaysWhileAnyLiveStudioHoldsIt() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("a.higgs")
        let other = try otherStudio()
        defer { end(other) }
        try Data("\(other.processIdentifier)\n".utf8).write(to: OpenMark.url(for: url))
        #expect(OpenMark.holder(of: url) == other.processIdentifier)

        OpenMark.mark(url)
        OpenMark.mark(url)  // once only
        #expect(OpenMark.holders(of: url) == [other.processIdentifier, getpid()])
        #expect(OpenMark.holder(of: url) == other.processIdentifier)
        #expect(OpenMark.holder(of: url, includingThisProcess: true) == other.processIdentifier)

        // Leaving takes this process's id away only: the other studio still has the project open.
        OpenMark.clear(url)
        #expect(OpenMark.holders(of: url) == [other.processIdentifier])
        #expect(try String(contentsOf: OpenMark.url(for: url), encoding: .utf8) == "\(other.processIdentifier)\n")

        // Once it is gone its id counts for nothing, and the next change drops it; the last to leave removes the mark.
        OpenMark.mark(url)
        end(other)
        #expect(OpenMark.holder(of: url) == nil)
        #expect(OpenMark.holders(of: url) == [getpid()])
        OpenMark.clear(url)
        #expect(!FileManager.default.fileExists(atPath: OpenMark.url(for: url).path))
        OpenMark.clear(url)  // nothing to take away: no mark is made
        #expect(!FileManager.default.fileExists(atPath: OpenMark.url(for: url).path))
    }

    @Test func eachStudioKeepsItsOwnAutosave() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("a.higgs")
        try ProjectFile.save(Project(script: ["[Ann] Saved."]), to: url)
        let other = try otherStudio()
        defer { end(other) }
        let first = other.processIdentifier
        // The first studio writes the shared autosave; this one, opened second, its own.
        try Data("\(first)\n".utf8).write(to: OpenMark.url(for: url))
        OpenMark.mark(url)
        let theirs = Project(script: ["[Ann] Saved.", "[Bob] From the first studio."])
        let mine = Project(script: ["[Ann] Saved.", "[Cy] From the second studio."])
        try ProjectFile.autosave(theirs, for: url)
        try ProjectFile.autosave(mine, for: url, process: getpid())
        #expect(ProjectFile.autosaveURL(for: url, process: 42).lastPathComponent == ".a.higgs.42.autosave")
        #expect(ProjectFile.autosaves(for: url).map(\.process) == [nil, getpid()])

        // A live studio's autosave is not offered (it is still being written); `higgs takes` counts them all.
        #expect(ProjectFile.recoveries(for: url).map(\.project) == [mine])
        #expect(ProjectFile.recoveries(for: url, evenOfLiveStudios: true).map(\.project.script[1]).sorted()
            == ["[Bob] From the first studio.", "[Cy] From the second studio."])

        // Saving here removes this studio's autosave only.
        try ProjectFile.save(mine, to: url, autosaveOf: getpid())
        #expect(!FileManager.default.fileExists(atPath: ProjectFile.autosaveURL(for: url, process: getpid()).path))
        #expect(try ProjectFile.load(ProjectFile.autosaveURL(for: url)) == theirs)
        OpenMark.clear(url)
        #expect(OpenMark.holder(of: url) == first)

        // The first studio dies: the next open is offered its work.
        end(other)
        #expect(ProjectFile.recoveries(for: url).map(\.project) == [theirs])
    }

    @Test func autosavesOfStudiosThatAreGoneAreOfferedNewestFirst() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("a.higgs")
        try ProjectFile.save(Project(script: ["[Ann] Saved."]), to: url)
        let gone = try otherStudio()
        end(gone)
        let older = Project(script: ["[Ann] Older."]), newer = Project(script: ["[Ann] Newer."])
        try ProjectFile.autosave(older, for: url)
        try ProjectFile.autosave(newer, for: url, process: gone.processIdentifier)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-60)],
                                              ofItemAtPath: ProjectFile.autosaveURL(for: url).path)
        // Files that only look alike are not autosaves of this project.
        try Data().write(to: folder.appendingPathComponent(".a.higgs.x1.autosave"))
        try Data().write(to: folder.appendingPathComponent(".b.higgs.7.autosave"))
        let found = ProjectFile.recoveries(for: url)
        #expect(found.map(\.project) == [newer, older])
        #expect(found.map(\.file.lastPathComponent) == [".a.higgs.\(gone.processIdentifier).autosave", ".a.higgs.autosave"])
        #expect(ProjectFile.recovery(for: url)?.project == newer)
    }
}
