import Foundation
import Prompt
import Generation
import Studio
import TestSupport
import Testing

/// Takes deleted by another program while the studio has the project open (the takes folder removed, a take's
/// files): the store stops listing them once it looks, they are no context, and an export with none keeps the
/// export there is.
@Suite struct VanishedTakesTests {
    /// A project of three lines, each with a take, in a fresh folder.
    private static func project(in folder: URL) throws -> DialoguePlanner {
        let store = TakeStore(folder: folder.appendingPathComponent("book.takes"))
        let project = Project(cast: [CastMember(name: "Mara", voice: .automatic)],
                              script: ["[Mara] One.", "[Mara] Two.", "[Mara] Three."])
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []),
                                      scenes: SceneLibrary(scenes: []), takes: store, fingerprints: ClipFingerprints())
        // In order: each line's take made with the one before as its context, as the studio makes them.
        for line in 0..<3 { try planner.keepTake([0.5, -0.5, 0.25], line: line) }
        return planner
    }

    private static func replanned(_ planner: DialoguePlanner) -> DialoguePlanner {
        DialoguePlanner(project: planner.project, voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []),
                        takes: planner.takes, fingerprints: ClipFingerprints())
    }

    @Test func aRemovedTakesFolderTakesTheLinesTakesAway() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let planner = try Self.project(in: folder)
        #expect((0..<3).allSatisfy { planner.plan(line: $0)?.isCurrent == true })
        // Its own takes are not another program's change.
        #expect(planner.takes.vanishedTakes() == nil)

        try FileManager.default.removeItem(at: planner.takes.folder)
        let gone = try #require(planner.takes.vanishedTakes())
        #expect(gone.folderGone && gone.lines == 3)
        #expect(planner.takes.vanishedTakes() == nil)  // said once
        let after = Self.replanned(planner)
        #expect((0..<3).allSatisfy { after.plan(line: $0)?.take == nil && after.plan(line: $0)?.context.isEmpty == true })
        #expect(!planner.takes.hadTake(try #require(planner.plan(line: 0)?.key)))
    }

    @Test func aDeletedTakeIsNoTakeAndNoContext() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let planner = try Self.project(in: folder)
        let first = try #require(planner.plan(line: 0)?.take?.key)
        #expect(planner.plan(line: 1)?.context.map(\.key) == [first])

        try FileManager.default.removeItem(at: planner.takes.audioURL(first))
        let gone = try #require(planner.takes.vanishedTakes())
        #expect(!gone.folderGone && gone.lines == 1)
        let after = Self.replanned(planner)
        #expect(after.plan(line: 0)?.take == nil)
        // Line 2 keeps its take, made with line 1's as context: out of date now, its context gone.
        #expect(after.plan(line: 1)?.context.isEmpty == true && after.plan(line: 1)?.take != nil && after.plan(line: 1)?.isCurrent == false)

        // A store opened afterwards reads the record that still lists the take, and leaves it out.
        let reopened = TakeStore(folder: planner.takes.folder)
        let identity = planner.identity(line: 0)
        #expect(reopened.takes(for: identity, transcript: planner.transcript(line: 0)).takes.isEmpty)
    }

    /// The folder removed, then made again by a new take before the store looked: the other lines' takes are
    /// still found gone.
    @Test func aFolderMadeAgainByANewTakeStillShowsWhatWent() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let planner = try Self.project(in: folder)
        try FileManager.default.removeItem(at: planner.takes.folder)
        try Self.replanned(planner).keepTake([0.1], line: 2)
        let gone = try #require(planner.takes.vanishedTakes())
        #expect(!gone.folderGone && gone.lines == 2)
        let after = Self.replanned(planner)
        #expect(after.plan(line: 0)?.take == nil && after.plan(line: 1)?.take == nil && after.plan(line: 2)?.take != nil)
    }

    /// A take found gone as it is used (a context line's, by the queue) is forgotten at once and told at the next look.
    @Test func aForgottenTakeIsToldAtTheNextLook() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let planner = try Self.project(in: folder)
        let first = try #require(planner.plan(line: 0)?.take?.key)
        try FileManager.default.removeItem(at: planner.takes.codesURL(first))
        planner.takes.forget(takes: [first])
        #expect(planner.plan(line: 0)?.take == nil && planner.plan(line: 1)?.context.isEmpty == true)
        #expect(planner.takes.vanishedTakes().map { $0.lines } == 1)
    }

    @Test func anExportWithNoTakeKeepsTheExportThereIs() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let planner = try Self.project(in: folder)
        let out = folder.appendingPathComponent("book.export")
        let written = try DialogueExport.export(planner, name: "book", to: out).files
        #expect(written.contains("book.wav") && written.contains("lines/003.wav"))

        // One take gone: the export holds the others and names the line without one.
        try FileManager.default.removeItem(at: planner.takes.audioURL(try #require(planner.plan(line: 2)?.take?.key)))
        let partial = try DialogueExport.export(Self.replanned(planner), name: "book", to: out)
        #expect(partial.lines == 2 && partial.missing == [2] && partial.missingVerdict == "line 3 has no take")
        let kept = try DialogueExport.export(Self.replanned(planner), name: "book", to: out).files  // the same again

        // Every take gone: nothing is written or removed, and the refusal names the missing folder.
        try FileManager.default.removeItem(at: planner.takes.folder)
        #expect(planner.takes.vanishedTakes() != nil)
        let refusal = #expect(throws: ExportRefused.self) { try DialogueExport.export(Self.replanned(planner), name: "book", to: out) }
        #expect(refusal?.description == "Not exported: no line has a take (book.takes/ is missing); the previous export in \(out.path)/ is kept")
        for file in kept { #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file)") }

        // With no earlier audio there, the transcript alone is exported, as for a script with no model.
        let fresh = folder.appendingPathComponent("fresh.export")
        #expect(try DialogueExport.export(Self.replanned(planner), name: "book", to: fresh).files == ["book.txt"])
    }
}
