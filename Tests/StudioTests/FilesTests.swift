import Foundation
import Prompt
import Studio
import TestSupport
import Testing

@Suite struct FilesTests {
    @Test func saveIsAtomicAndRemovesTheAutosave() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("show.higgs")
        var project = SampleProject.project
        try ProjectFile.save(project, to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == SampleProject.text)
        #expect(ProjectFile.recovery(for: url) == nil)

        project.script[0] = "[Mara] Edited, not saved."
        try ProjectFile.autosave(project, for: url)
        #expect(ProjectFile.autosaveURL(for: url).lastPathComponent == ".show.higgs.autosave")
        let recovered = try #require(ProjectFile.recovery(for: url))
        #expect(recovered.project == project)
        #expect(try ProjectFile.load(url) == SampleProject.project)   // the saved file is untouched

        try ProjectFile.save(project, to: url)
        #expect(!FileManager.default.fileExists(atPath: ProjectFile.autosaveURL(for: url).path))
        #expect(try ProjectFile.load(url) == project)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["show.higgs"])
    }

    /// A file a Windows editor wrote (CR LF line ends) reads as the same project, and is saved in its own line ends
    /// when asked: every line break CR LF, and nothing else changed.
    @Test func aProjectSavedWithWindowsLineEndsReadsTheSame() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("show.higgs")
        let project = SampleProject.project
        let plain = try ProjectFile.save(project, to: url)
        #expect(!ProjectFile.endsLinesWithCRLF(plain))
        let windows = try ProjectFile.save(project, to: url, crlf: true)
        #expect(ProjectFile.endsLinesWithCRLF(windows))
        #expect(String(decoding: windows, as: UTF8.self) == String(decoding: plain, as: UTF8.self).replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(try ProjectFile.load(url) == project)
        #expect(!ProjectFile.endsLinesWithCRLF(Data("one line, no break".utf8)) && !ProjectFile.endsLinesWithCRLF(Data("\nx\r\n".utf8)))
    }

    /// A project opened through a link has its takes and export beside the file the link leads to, as when opened by
    /// its own name; a takes folder made beside the link before (and none beside the file) stays in use.
    @Test func aLinkedProjectsFoldersAreTheFilesOwn() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let real = folder.appendingPathComponent("real/s.higgs"), link = folder.appendingPathComponent("elsewhere/current.higgs")
        for made in [real, link] { try FileManager.default.createDirectory(at: made.deletingLastPathComponent(), withIntermediateDirectories: true) }
        try ProjectFile.save(Project(script: ["[SPEAKER0] Hi."]), to: real)
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "../real/s.higgs")
        #expect(TakeStore.folder(forProject: link) == folder.appendingPathComponent("real/s.takes"))
        #expect(DialogueExport.folder(forProject: link) == folder.appendingPathComponent("real/s.export"))
        #expect(DialogueExport.name(forProject: link) == "s" && DialogueExport.name(forProject: real) == "s")
        #expect(TakeStore.folder(forProject: real) == folder.appendingPathComponent("real/s.takes"))

        let madeBeside = folder.appendingPathComponent("elsewhere/current.takes")
        try FileManager.default.createDirectory(at: madeBeside, withIntermediateDirectories: true)
        #expect(TakeStore.folder(forProject: link).path == madeBeside.path)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("real/s.takes"), withIntermediateDirectories: true)
        #expect(TakeStore.folder(forProject: link).path == folder.appendingPathComponent("real/s.takes").path)
    }

    @Test func autosaveOfANeverSavedProjectIsRecovered() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("untitled.higgs")
        try ProjectFile.autosave(SampleProject.project, for: url)
        #expect(ProjectFile.recovery(for: url)?.project == SampleProject.project)
        // An autosave equal to the file is not offered.
        try ProjectFile.save(SampleProject.project, to: url)
        try ProjectFile.autosave(SampleProject.project, for: url)
        #expect(ProjectFile.recovery(for: url) == nil)
        ProjectFile.discardAutosave(for: url)
    }

    @Test func loadErrorsNameTheFile() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("nope.higgs")
        #expect(throws: StudioError("\(missing.path): no such file")) { try ProjectFile.load(missing) }
        let bad = folder.appendingPathComponent("bad.higgs")
        try "settings:\n  seed: -1\nscript:\n".write(to: bad, atomically: true, encoding: .utf8)
        #expect(throws: ProjectError(file: bad.path, line: 2, "seed must be a whole number >= 0, found '-1'")) {
            try ProjectFile.load(bad)
        }
        // A number past what the setting can hold says so (it read as if it were not a number).
        #expect(throws: StudioError("max-new-tokens must be a whole number >= 1, found '99999999999999999999', far too large")) {
            var settings = GenerationSettings()
            try ProjectFormat.applySetting("max-new-tokens", "99999999999999999999", to: &settings)
        }
        // Another encoding: the line that does not read, and how to convert the file (explore pass 8, C1).
        try Data("script:\n[Mara] ok\n[Tom] caf".utf8 + [0xE9] + Data(" au lait\n".utf8)).write(to: bad)
        #expect(throws: StudioError("\(bad.path):3: not UTF-8 text; if the file is Latin-1 or Windows-1252, "
                                    + "`iconv -f WINDOWS-1252 -t UTF-8 '\(bad.lastPathComponent)' > '\(bad.deletingPathExtension().lastPathComponent)-utf8.higgs'` "
                                    + "converts it")) { try ProjectFile.load(bad) }
    }

    @Test func atomicWriteReplacesWholeFiles() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("f.txt")
        try AtomicFile.write(Data("first".utf8), to: url)
        try AtomicFile.write(Data("second, longer".utf8), to: url, durable: false)
        #expect(try String(contentsOf: url, encoding: .utf8) == "second, longer")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["f.txt"])
        #expect(throws: StudioError.self) { try AtomicFile.write(Data(), to: folder.appendingPathComponent("no/such/dir")) }
    }

    /// Saving over a file keeps what the writer set up around it: a link stays a link to the file it names, the
    /// permissions stay, a read-only file is not replaced, and a missing folder is named as the problem.
    @Test func atomicWriteKeepsLinksAndPermissions() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let fm = FileManager.default
        let real = folder.appendingPathComponent("real/p.higgs"), link = folder.appendingPathComponent("p.higgs")
        try fm.createDirectory(at: real.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("first".utf8).write(to: real)
        try fm.createSymbolicLink(at: link, withDestinationURL: real)
        try fm.setAttributes([.posixPermissions: 0o660], ofItemAtPath: real.path)
        try AtomicFile.write(Data("second".utf8), to: link)
        #expect(try fm.destinationOfSymbolicLink(atPath: link.path) == real.path)
        #expect(try String(contentsOf: real, encoding: .utf8) == "second")
        #expect(try fm.attributesOfItem(atPath: real.path)[.posixPermissions] as? Int == 0o660)
        #expect(try fm.contentsOfDirectory(atPath: real.deletingLastPathComponent().path) == ["p.higgs"])

        try fm.setAttributes([.posixPermissions: 0o444], ofItemAtPath: real.path)
        #expect(throws: StudioError("\(link.path): the file is read-only (mode 0444)")) { try AtomicFile.write(Data("third".utf8), to: link) }
        #expect(try String(contentsOf: real, encoding: .utf8) == "second")

        let nowhere = folder.appendingPathComponent("gone/p.higgs")
        #expect(throws: StudioError("\(nowhere.path): there is no folder \(folder.path)/gone")) { try AtomicFile.write(Data(), to: nowhere) }
    }

    /// An autosave older than the file it belongs to says so: recovering it sets aside what was saved later.
    @Test func recoveryTellsWhenTheFileWasSavedAfterTheAutosave() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("p.higgs")
        try ProjectFile.save(Project(script: ["[Mara] Hello."]), to: url)
        try ProjectFile.autosave(Project(script: ["[Mara] Hello there."]), for: url)
        let earlier = Date().addingTimeInterval(-60)
        try FileManager.default.setAttributes([.modificationDate: earlier], ofItemAtPath: url.path)
        #expect(ProjectFile.recovery(for: url)?.fileSavedLater == nil)
        try FileManager.default.setAttributes([.modificationDate: earlier], ofItemAtPath: ProjectFile.autosaveURL(for: url).path)
        try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: url.path)
        let recovery = try #require(ProjectFile.recovery(for: url))
        #expect(recovery.project.script == ["[Mara] Hello there."] && recovery.fileSavedLater != nil)
    }

    /// An autosave keeps what the file held when its changes began: a file another program wrote meanwhile is told,
    /// though the autosave, written last, is the newer by the files' times (explore pass 6, A2: the recovery and its
    /// save then replaced the other program's lines without a word). Discarding removes both.
    @Test func recoveryTellsWhenTheFileChangedSinceTheChangesBegan() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("p.higgs")
        let first = try ProjectFile.save(Project(script: ["[Mara] Hello."]), to: url)
        let base = ProjectFile.baseDigest(first)
        try ProjectFile.autosave(Project(script: ["[Mara] Hello there."]), for: url, base: base)
        var recovery = try #require(ProjectFile.recovery(for: url))
        #expect(recovery.fileSavedLater == nil && recovery.base == base)

        // Another program adds a line; the studio's next autosave, from the same base, is written after it.
        try Data((String(decoding: first, as: UTF8.self) + "[Ben] From my laptop.\n").utf8).write(to: url)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-60)], ofItemAtPath: url.path)
        try ProjectFile.autosave(Project(script: ["[Mara] Hello there, again."]), for: url, base: base)
        recovery = try #require(ProjectFile.recovery(for: url))
        #expect(recovery.project.script == ["[Mara] Hello there, again."] && recovery.fileSavedLater != nil)

        // Without a base (an autosave of an earlier version), the times alone decide, as before.
        try ProjectFile.autosave(Project(script: ["[Mara] Hello there, again."]), for: url)
        #expect(ProjectFile.recovery(for: url)?.fileSavedLater == nil)

        try ProjectFile.autosave(Project(script: ["[Mara] Hello there, again."]), for: url, base: base)
        let side = ProjectFile.autosaveURL(for: url).appendingPathExtension("base")
        #expect(FileManager.default.fileExists(atPath: side.path))
        ProjectFile.discardAutosave(for: url)
        #expect(!FileManager.default.fileExists(atPath: side.path) && ProjectFile.recovery(for: url) == nil)
    }

    @Test func engineLocationPrefersFlagsThenEnvironment() {
        let env = ["HOME": "/home/ann", "HIGGS_MODEL": "~/m", "HIGGS_AUDIO_TOKENIZER": ""]
        let a = EngineLocation(modelFlag: nil, audioTokenizerFlag: nil, environment: env)
        #expect(a.model.path == "/home/ann/m" && a.modelSource == .environment)
        #expect(a.audioTokenizer.path == "/home/ann/models/higgs-audio-v2-tokenizer" && a.audioTokenizerSource == .defaultFolder)
        let b = EngineLocation(modelFlag: "/x/model", audioTokenizerFlag: "/x/tok", environment: env)
        #expect(b.model.path == "/x/model" && b.modelSource == .flag && b.audioTokenizerSource == .flag)
        let missing = b.missing
        #expect(missing.count == 2)
        #expect(missing[0] == "the model in /x/model (from --model)")
        #expect(missing[1] == "the audio tokenizer in /x/tok (from --audio-tokenizer)")
        #expect(a.missing[1] == "the audio tokenizer in ~/models/higgs-audio-v2-tokenizer "
            + "(the default; set --audio-tokenizer or $HIGGS_AUDIO_TOKENIZER)")
        #expect(b.unavailableReason?.hasPrefix("No model to generate with: looked for the model in /x/model (from --model) and ") == true)
    }

    @Test func keyMapCoversEveryActionOnce() {
        let bound = Set(KeyMap.bindings.map(\.action))
        #expect(bound == Set(StudioAction.allCases))
        for context in KeyContext.allCases {
            let keys = KeyMap.bindings.filter { $0.context == context }.flatMap(\.keys)
            #expect(Set(keys).count == keys.count, "a key bound twice in \(context)")
        }
        // Typing in a line never triggers a command letter; the global keys still work there.
        #expect(KeyMap.action(for: .char("q"), in: .editing) == nil)
        #expect(KeyMap.action(for: .char("?"), in: .editing) == nil)
        #expect(KeyMap.action(for: .ctrl("s"), in: .editing) == .save)
        #expect(KeyMap.action(for: .function(1), in: .cast) == .help)
        #expect(KeyMap.action(for: .char("?"), in: .script) == .help)
        #expect(KeyMap.action(for: .enter, in: .editing) == .splitLine)
        let helpRows = KeyMap.helpSections.flatMap(\.rows).count
        #expect(helpRows >= KeyMap.bindings.count)
    }
}

@Suite struct PathCompletionTests {
    @Test func completesAsFarAsTheNamesAgree() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["mara take 1.wav", "mara take 2.wav", "notes.txt", ".hidden.wav"] {
            try Data().write(to: folder.appendingPathComponent(name))
        }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("clips/old"), withIntermediateDirectories: true)
        try Data().write(to: folder.appendingPathComponent("clips/theo.wav"))

        #expect(PathCompletion.complete("ma", in: folder) == ("mara take ", ["mara take 1.wav", "mara take 2.wav"]))
        #expect(PathCompletion.complete("mara take 2", in: folder) == ("mara take 2.wav", ["mara take 2.wav"]))
        #expect(PathCompletion.complete("cl", in: folder) == ("clips/", ["clips"]))
        #expect(PathCompletion.complete("clips/t", in: folder) == ("clips/theo.wav", ["theo.wav"]))
        #expect(PathCompletion.complete("\(folder.path)/no", in: URL(fileURLWithPath: "/")) == ("\(folder.path)/notes.txt", ["notes.txt"]))
        #expect(PathCompletion.complete("x", in: folder) == ("x", []))
        #expect(PathCompletion.complete("", in: folder).candidates == ["clips", "mara take 1.wav", "mara take 2.wav", "notes.txt"])
        #expect(PathCompletion.complete(".h", in: folder).text == ".hidden.wav")
    }
}
