import Foundation
import Studio
import TestSupport
import Testing

extension EndToEndTests {
    /// `e` while an `A` is making the script's lines waits for them, so the export holds every line; `e` again
    /// exports at once what there is.
    @Test func anExportAskedForDuringAllWaitsForTheLines() throws {
        let folder = try Fixtures.temporaryFolder("higgs-e2e")
        defer { try? FileManager.default.removeItem(at: folder) }
        let tmux = try TmuxSession(width: 200, height: 30, folder: folder)
        try tmux.launchStudio(try Self.testModelFlags(in: folder) + ["--audio-device", "null"] + Self.libraryFlags)
        try tmux.waitFor("the engine") { $0.contains("· bf16 ·") }
        try tmux.keys("A", "e")
        try tmux.waitFor("the export waiting") { $0.contains("still being made: the export starts once") }
        let lines = folder.appendingPathComponent("untitled.export/lines")
        #expect(!FileManager.default.fileExists(atPath: lines.path))
        try tmux.waitFor("the export of every line", timeout: 180) { $0.contains("Exported to ") && $0.contains("7 lines, ") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: lines.path).filter { $0.hasSuffix(".wav") }.count == 7)
        // Nothing new: e leaves it as it is, its files' times too, and e again writes it anew (explore pass 9, 9).
        let wav = folder.appendingPathComponent("untitled.export/untitled.wav")
        let written = try FileManager.default.attributesOfItem(atPath: wav.path)[.modificationDate] as? Date
        try tmux.keys("e")
        try tmux.waitFor("the export up to date") { $0.contains("untitled.export/ is up to date: nothing has changed since it was exported") }
        #expect(try FileManager.default.attributesOfItem(atPath: wav.path)[.modificationDate] as? Date == written)
        try tmux.keys("e")
        try tmux.waitFor("the export written anew", timeout: 180) { $0.contains("Exported to ") && $0.contains("7 lines, ") }
        #expect(try FileManager.default.attributesOfItem(atPath: wav.path)[.modificationDate] as? Date != written)

        // Once more after an edit, with e twice: the second exports at once, before the edited line has its take.
        try tmux.keys("Enter", "End")
        try tmux.type(" Truly.")
        try tmux.keys("Escape")
        try tmux.waitFor("the edited line") { $0.contains("The Small Hours. Truly.") && !$0.contains("✎") }
        try tmux.keys("A", "e", "e")
        try tmux.waitFor("the export of the takes there are") { $0.contains("Exported to ") && $0.contains(" has no take") }
        try tmux.waitFor("every line made") { screen in
            screen.split(separator: "\n").filter { $0.contains("▌ [") && $0.contains("│") }.allSatisfy { $0.contains("✓") || $0.contains("✂") }
        }
        // Cancelling the lines cancels the export that waits for them.
        try tmux.keys("Enter", "End")
        try tmux.type(" Again.")
        try tmux.keys("Escape")
        try tmux.waitFor("the line edited again") { $0.contains("Truly. Again.") && !$0.contains("✎") }
        try tmux.keys("A", "e", "C")
        try tmux.waitFor("both cancelled") { $0.contains("Cancelled all generation, and the export waiting for it.") }
        Thread.sleep(forTimeInterval: 1)
        #expect(try !tmux.screen().contains("Exporting") && !tmux.screen().contains("Exported to "))
        try tmux.keys("C-q")
        try tmux.waitFor("the unsaved-changes question") { $0.contains("Save") || $0.contains("save") }
    }
}
