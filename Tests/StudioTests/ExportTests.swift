import Foundation
import Prompt
import AudioIO
import Generation
import Studio
import TestSupport
import Testing

@Suite struct ExportTests {
    @Test func timestampsRoundToTheMillisecond() {
        #expect(Subtitles.timestamp(0, ",") == "00:00:00,000")
        #expect(Subtitles.timestamp(11, ",") == "00:00:00,000")   // 0.458 ms
        #expect(Subtitles.timestamp(12, ",") == "00:00:00,001")   // 0.5 ms rounds up
        #expect(Subtitles.timestamp(24_000 * 61 + 12_000, ".") == "00:01:01.500")
        #expect(Subtitles.timestamp(24_000 * 3_723 + 23_999, ",") == "01:02:04,000")
    }

    static let entries = Timeline.layout([
        (line: 0, length: 48_000, speaker: "Mara", text: "Good evening."),
        (line: 2, length: 36_012, speaker: "Theo", text: "Toast <3 & jam."),
        (line: 3, length: 12_000, speaker: "Theo", text: ""),
        (line: 4, length: 24_000, speaker: "Mara", text: "Bye."),
    ], gap: 9_600)

    @Test func layoutPutsGapsBetweenLines() {
        #expect(Self.entries.map(\.start) == [0, 57_600, 103_212, 124_812])
        #expect(Self.entries.map(\.end) == [48_000, 93_612, 115_212, 148_812])
    }

    @Test func srtIsExact() {
        #expect(Subtitles.srt(Self.entries) == """
            1
            00:00:00,000 --> 00:00:02,000
            Mara: Good evening.

            2
            00:00:02,400 --> 00:00:03,901
            Theo: Toast <3 & jam.

            3
            00:00:05,201 --> 00:00:06,201
            Mara: Bye.


            """)
    }

    @Test func vttIsExact() {
        #expect(Subtitles.vtt(Self.entries) == """
            WEBVTT

            00:00:00.000 --> 00:00:02.000
            <v Mara>Good evening.

            00:00:02.400 --> 00:00:03.901
            <v Theo>Toast &lt;3 &amp; jam.

            00:00:05.201 --> 00:00:06.201
            <v Mara>Bye.


            """)
    }

    /// The export of a project whose lines have takes: the bytes of the whole-dialogue WAV (header, the takes
    /// as 16-bit samples, the gap as zeros), the per-line files, subtitles, transcript; lines without a
    /// take are reported, blank lines skipped.
    @Test func exportWritesTheDialogue() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder.appendingPathComponent("show.takes"))
        var project = Project(cast: [CastMember(name: "Mara", voice: .automatic), CastMember(name: "Theo", voice: .automatic)],
                              script: ["[Mara] Hello [laugh] there.", "", "[Theo] No take yet.", "[Theo] Bye!"])
        project.settings.gap = 0.001  // 24 samples
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []),
                                      scenes: SceneLibrary(scenes: []), takes: store, fingerprints: ClipFingerprints())
        let first: [Float] = [0, 0.5, -0.5, 1, -1, 2, -2, 0.25]
        let second: [Float] = [0.1, -0.1, 0.00001]
        for (line, samples) in [(0, first), (3, second)] {
            try planner.keepTake(samples, line: line)
        }
        let out = folder.appendingPathComponent("show.export")
        let report = try DialogueExport.export(planner, name: "show", to: out)
        #expect(report.lines == 2 && report.missing == [2])
        #expect(report.files == ["lines.csv", "lines/001.wav", "lines/004.wav", "show.srt", "show.txt", "show.vtt", "show.wav",
                                 "stems/Mara.wav", "stems/Theo.wav"])

        let wav = try Data(contentsOf: out.appendingPathComponent("show.wav"))
        let samples = first.count + 24 + second.count
        #expect(planner.exportLength == samples)
        var expected = Data("RIFF".utf8)
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { expected.append(contentsOf: $0) } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { expected.append(contentsOf: $0) } }
        u32(36 + 2 * samples)
        expected.append(contentsOf: Array("WAVEfmt ".utf8))
        u32(16); u16(1); u16(1); u32(24_000); u32(48_000); u16(2); u16(16)
        expected.append(contentsOf: Array("data".utf8))
        u32(2 * samples)
        let pcm: [Int16] = [0, 16384, -16384, 32767, -32767, 32767, -32767, 8192] + Array(repeating: 0, count: 24) + [3277, -3277, 0]
        for s in pcm { withUnsafeBytes(of: s.littleEndian) { expected.append(contentsOf: $0) } }
        #expect(wav == expected)

        // Each speaker's stem is the dialogue's length with only their lines; together they are the dialogue.
        let mara = try WAVFile.read(out.appendingPathComponent("stems/Mara.wav")).samples
        let theo = try WAVFile.read(out.appendingPathComponent("stems/Theo.wav")).samples
        let whole = try WAVFile.read(out.appendingPathComponent("show.wav")).samples
        #expect(mara.count == samples && theo.count == samples)
        #expect(Array(mara[8...]).allSatisfy { $0 == 0 } && Array(theo[..<32]).allSatisfy { $0 == 0 })
        #expect(zip(mara, theo).map { $0 + $1 } == whole)

        let line4 = try Data(contentsOf: out.appendingPathComponent("lines/004.wav"))
        #expect(line4.count == 44 + 6 && line4.suffix(6) == expected.suffix(6))
        // The transcript is of what is heard: the line without a take is not in it; the speakers by name.
        #expect(try String(contentsOf: out.appendingPathComponent("show.txt"), encoding: .utf8)
            == "[Mara] Hello [laugh] there.\n[Theo] Bye!\n")
        #expect(try String(contentsOf: out.appendingPathComponent("show.srt"), encoding: .utf8)
            == "1\n00:00:00,000 --> 00:00:00,000\nMara: Hello there.\n\n2\n00:00:00,001 --> 00:00:00,001\nTheo: Bye!\n\n")
        // The table of lines: file, speaker, words, times, script line.
        #expect(try String(contentsOf: out.appendingPathComponent("lines.csv"), encoding: .utf8)
            == "file,speaker,text,start,end,cue_start,cue_end,script_line\r\nlines/001.wav,Mara,Hello there.,0.000,0.000,,,1\r\n"
            + "lines/004.wav,Theo,Bye!,0.001,0.001,,,4\r\n")

        // "Play from here" is the same layout.
        let stream = try #require(DialogueAudio.stream(planner, from: 0, lineIDs: [5, 6, 7, 8]))
        #expect(stream.snapshot == first + Array(repeating: 0, count: 24) + second)
        #expect(stream.line(at: 0) == 5 && stream.line(at: 33) == 8)
    }

    /// With a `loudness`, every exported line (and "play from here") is brought to it on its own: a quiet
    /// take and a loud one come out at the same level, and no peak passes -1 dBFS.
    @Test func exportBringsEveryLineToTheLoudness() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder.appendingPathComponent("show.takes"))
        var project = Project(cast: [CastMember(name: "Mara", voice: .automatic), CastMember(name: "Theo", voice: .automatic)],
                              script: ["[Mara] Quiet.", "[Theo] Loud."])
        project.settings.loudness = -20
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []),
                                      scenes: SceneLibrary(scenes: []), takes: store, fingerprints: ClipFingerprints())
        func tone(_ amplitude: Float) -> [Float] { (0..<36_000).map { amplitude * sinf(Float($0) * 0.13) * (1 + 0.5 * sinf(Float($0) * 0.0007)) } }
        for (line, samples) in [(0, tone(0.02)), (1, tone(0.6))] {
            try planner.keepTake(samples, line: line)
        }
        let out = folder.appendingPathComponent("show.export")
        _ = try DialogueExport.export(planner, name: "show", to: out)
        for file in ["lines/001.wav", "lines/002.wav"] {
            let audio = try WAVFile.read(out.appendingPathComponent(file))
            let measured = try #require(Loudness.integrated(audio.samples, sampleRate: audio.sampleRate))
            #expect(abs(measured - -20) < 0.05, "\(file): \(measured) LUFS")
        }
        let stream = try #require(DialogueAudio.stream(planner, from: 0, lineIDs: [0, 1]))
        let whole = try WAVFile.read(out.appendingPathComponent("show.wav")).samples
        #expect(stream.snapshot.count == whole.count)
        #expect(zip(stream.snapshot, whole).allSatisfy { abs($0 - $1) < 1e-4 })

        // Louder than the peaks allow: held at -1 dBFS.
        project.settings.loudness = -5
        let loud = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []),
                                   scenes: SceneLibrary(scenes: []), takes: store, fingerprints: ClipFingerprints())
        let peak = try #require(DialogueAudio.stream(loud, from: 0, lineIDs: [0, 1])).snapshot.map(abs).max()
        #expect(abs(try #require(peak) - 0.891) < 1e-4)
    }

    /// `# chapter:` notes divide the export into a file per chapter, each its stretch of the whole dialogue;
    /// lines before the first chapter are the opening; a chapter with no take has no file.
    @Test func chaptersAreFilesOfTheirOwn() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder.appendingPathComponent("book.takes"))
        var project = Project(cast: [CastMember(name: "Mara", voice: .automatic), CastMember(name: "Theo", voice: .automatic)],
                              script: ["[Mara] Welcome.", "# Chapter: One: Who <is> it?", "[Theo] First.", "[Mara] Second.",
                                       "# chapter:", "[Theo] Third.", "# chapter: Nothing/yet", "[Mara] No take."])
        project.settings.gap = 0.001
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []),
                                      scenes: SceneLibrary(scenes: []), takes: store, fingerprints: ClipFingerprints())
        for (line, level) in [(0, 0.1), (2, 0.2), (3, 0.3), (5, 0.4)] as [(Int, Float)] {
            try planner.keepTake([Float](repeating: level, count: 100), line: line)
        }
        let out = folder.appendingPathComponent("book.export")
        let report = try DialogueExport.export(planner, name: "book", to: out)
        let chapters = report.files.filter { $0.hasPrefix("chapters/") }
        #expect(chapters == ["chapters/00 Opening.wav", "chapters/01 One - Who _is_ it_.wav", "chapters/02 Chapter 2.wav"] && report.chapters == 3)
        let whole = try WAVFile.read(out.appendingPathComponent("book.wav")).samples
        let expected = [0..<100, 124..<348, 372..<472].map { Array(whole[$0]) }
        for (file, samples) in zip(chapters, expected) {
            #expect(try WAVFile.read(out.appendingPathComponent(file)).samples == samples, "\(file)")
        }
        #expect(report.missing == [7])
    }

    /// A chapter title or a speaker's name too long for a file name is cut in its file's name, ending in `…` (explore
    /// pass 9, 2: a title of 286 bytes made the whole export fail with "File name too long").
    @Test func aNameTooLongForAFileIsCutInItsFilesName() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder.appendingPathComponent("book.takes"))
        let title = "Épilogue — " + String(repeating: "très long titre ", count: 16)
        let speaker = String(repeating: "É", count: 100)
        let project = Project(cast: [CastMember(name: speaker, voice: .automatic), CastMember(name: "Bo", voice: .automatic)],
                              script: ["# chapter: \(title)", "[\(speaker)] Welcome.", "# file: \(title)", "[\(speaker)] Again.", "[Bo] Hi."])
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []),
                                      scenes: SceneLibrary(scenes: []), takes: store, fingerprints: ClipFingerprints())
        try planner.keepTake([Float](repeating: 0.1, count: 100), line: 1)
        try planner.keepTake([Float](repeating: 0.2, count: 100), line: 3)
        try planner.keepTake([Float](repeating: 0.3, count: 100), line: 4)
        let report = try DialogueExport.export(planner, name: "book", to: folder.appendingPathComponent("book.export"))
        let long = report.files.filter { $0.hasPrefix("chapters/") || $0.hasPrefix("stems/É") || $0.hasPrefix("lines/É") }
        #expect(long.count == 3, "\(report.files)")
        for file in long {
            let name = (file as NSString).lastPathComponent
            #expect(name.utf8.count <= 200 && (name as NSString).deletingPathExtension.hasSuffix("…"), "\(file)")
        }
        #expect(long.contains { $0.hasPrefix("chapters/01 Épilogue — très long titre") })
        // The note's hint says the file's name is not the one written.
        #expect(planner.fileNoteChange(line: 2) != nil)
    }

    /// An export is told of its progress again every few seconds of work, so that a stop is heard within them, not
    /// at the next stage (explore pass 9, 4: Ctrl-C waited 17 s while a book's dialogue was written); stopped, it leaves
    /// no staging folder beside the export, and the export before as it was. Chapter MP3s count their tracks from 1,
    /// an opening first (it was track 0).
    @Test func aStoppedExportLeavesNothingAndTracksCountFromOne() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder.appendingPathComponent("book.takes"))
        var project = Project(cast: [CastMember(name: "Mara", voice: .automatic)],
                              script: ["[Mara] Welcome.", "# chapter: Harbour", "[Mara] Boats."])
        project.settings.mp3 = 64
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []),
                                      scenes: SceneLibrary(scenes: []), takes: store, fingerprints: ClipFingerprints())
        for line in [0, 2] {
            try planner.keepTake((0..<(24_000 * 25)).map { Float(0.2 * sin(Double($0) * 0.03)) }, line: line)
        }
        let out = folder.appendingPathComponent("book.export")
        var told: [String] = []
        let report = try DialogueExport.export(planner, name: "book", to: out) { told.append($0) }
        // 50 s of dialogue, written 10 s at a time: told before each stretch.
        #expect(told.filter { $0 == "book.wav and .mp3" }.count >= 5, "\(told)")
        for (file, track) in [("chapters/00 Opening.mp3", "1"), ("chapters/01 Harbour.mp3", "2")] {
            #expect(report.files.contains(file))
            let tag = [UInt8](try Data(contentsOf: out.appendingPathComponent(file)).prefix(300))
            let at = try #require(tag.indices.dropLast(12).first { Array(tag[$0..<($0 + 4)]) == Array("TRCK".utf8) })
            let size = tag[(at + 4)..<(at + 8)].reduce(0) { $0 << 8 | Int($1) }
            // Its text after the encoding byte (UTF-16 with a byte-order mark): the digits.
            #expect(String(decoding: tag[(at + 11)..<(at + 10 + size)].filter { (0x30...0x39).contains($0) }, as: UTF8.self) == track, "\(file)")
        }
        // Stopped in the dialogue: nothing beside the export, which is as it was.
        let before = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        try planner.keepTake([Float](repeating: 0.1, count: 24_000 * 30), line: 0)
        struct Stop: Error {}
        var calls = 0
        #expect(throws: Stop.self) {
            try DialogueExport.export(planner, name: "book", to: out) { what in
                if what == "book.wav and .mp3" { calls += 1 }
                if calls == 2 { throw Stop() }
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["book.export", "book.takes"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted() == before)
    }

    /// The studio's export job, stopped (quitting, a signal), ends within seconds and takes what it wrote with it,
    /// rather than dying with the process and leaving a staging folder of hundreds of megabytes (explore pass 9, 3).
    @Test func aStoppedExportJobLeavesNoStagingFolder() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder.appendingPathComponent("book.takes"))
        var project = Project(cast: [CastMember(name: "Mara", voice: .automatic)], script: ["[Mara] One.", "[Mara] Two."])
        project.settings.mp3 = 128
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []),
                                      scenes: SceneLibrary(scenes: []), takes: store, fingerprints: ClipFingerprints())
        for line in [0, 1] {
            try planner.keepTake((0..<(24_000 * 300)).map { Float(0.2 * sin(Double($0) * 0.01)) }, line: line)
        }
        let job = ExportJob(planner, name: "book", to: folder.appendingPathComponent("book.export"))
        let asked = Date()
        while case .running(let what) = job.state, !what.hasPrefix("book.wav") { usleep(10_000) }
        job.stop()
        #expect(Date().timeIntervalSince(asked) < 60)
        guard case .refused(let why) = job.state else { Issue.record("\(job.state)"); return }
        #expect(why.hasPrefix("stopped"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["book.export", "book.takes"])
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("book.export/book.wav").path))
    }

    /// With the `mp3` setting, the dialogue and each chapter are written as MP3 too, beside their WAVs: the
    /// same audio (decoded gaplessly, its length that of the WAV at 44.1 kHz), tagged with their titles.
    @Test func mp3sOfTheDialogueAndItsChapters() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder.appendingPathComponent("book.takes"))
        var project = Project(cast: [CastMember(name: "Mara", voice: .automatic)],
                              script: ["# chapter: Harbour", "[Mara] Boats.", "# chapter: Town", "[Mara] Streets."])
        project.settings.mp3 = 96
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []),
                                      scenes: SceneLibrary(scenes: []), takes: store, fingerprints: ClipFingerprints())
        for (line, pitch) in [(1, 300.0), (3, 500.0)] {
            let samples = (0..<12_000).map { Float(0.3 * sin(2 * .pi * pitch * Double($0) / 24_000)) }
            try planner.keepTake(samples, line: line)
        }
        let out = folder.appendingPathComponent("book.export")
        var stages: [String] = []
        // Each stage once: it is told again as it goes on (see below).
        let report = try DialogueExport.export(planner, name: "book", to: out) { if stages.last != $0 { stages.append($0) } }
        #expect(stages == ["the takes (1 of 2)", "lines/", "book.wav and .mp3", "chapter 1 of 2 (Harbour)", "chapter 2 of 2 (Town)"])
        #expect(report.files.filter { $0.hasSuffix(".mp3") } == ["book.mp3", "chapters/01 Harbour.mp3", "chapters/02 Town.mp3"])
        #expect(report.chapters == 2)
        for (wav, title) in [("book", "book"), ("chapters/01 Harbour", "Harbour"), ("chapters/02 Town", "Town")] {
            let pcm = try WAVFile.read(out.appendingPathComponent(wav + ".wav")).samples
            let data = try Data(contentsOf: out.appendingPathComponent(wav + ".mp3"))
            let decoded = try MP3File.decode(data, file: wav)
            #expect(decoded.samples.count == (pcm.count * 44_100 + 23_999) / 24_000, "\(wav)")
            let rms = { (x: [Float]) in (x.reduce(0) { $0 + Double($1 * $1) } / Double(x.count)).squareRoot() }
            #expect(abs(rms(decoded.samples) - rms(pcm)) < 0.02, "\(wav)")
            let title16 = Data(title.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
            #expect(data.prefix(200).range(of: title16) != nil, "\(wav): its title in the tag")
        }
        // The whole dialogue's MP3 marks its chapters (ID3 CHAP frames, in milliseconds, under a CTOC).
        let tag = [UInt8](try Data(contentsOf: out.appendingPathComponent("book.mp3")).prefix(400))
        #expect(tag.indices.contains { Array(tag[$0..<min(tag.count, $0 + 4)]) == Array("CTOC".utf8) })
        var marks: [(start: Int, end: Int)] = []
        for i in tag.indices.dropLast(30) where Array(tag[i..<(i + 4)]) == Array("CHAP".utf8) {
            let body = i + 10 + 5  // the frame header, then "chpN\0"
            func word(_ at: Int) -> Int { tag[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
            marks.append((word(body), word(body + 4)))
        }
        let second = 12_000 + planner.gapSamples  // the second line starts after the first and the gap
        #expect(marks.count == 2 && marks[0].start == 0 && marks[0].end == (second * 1000 + 12_000) / 24_000
                && marks[1].start == marks[0].end && marks[1].end == ((second + 12_000) * 1000 + 12_000) / 24_000, "\(marks)")
    }

    /// The studio's export runs on a thread of its own: it ends with the report the export gives, the
    /// same files, and says what it is writing meanwhile.
    @Test func anExportJobWritesWhatTheExportWrites() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder.appendingPathComponent("job.takes"))
        let project = Project(cast: [CastMember(name: "Ann", voice: .automatic)], script: ["[Ann] One.", "[Ann] Two."])
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []),
                                      scenes: SceneLibrary(scenes: []), takes: store, fingerprints: ClipFingerprints())
        for line in [0, 1] {
            try planner.keepTake([Float](repeating: 0.1 * Float(line + 1), count: 4_800), line: line)
        }
        let job = ExportJob(planner, name: "job", to: folder.appendingPathComponent("a.export"))
        job.wait()
        job.wait()  // waiting again returns at once
        guard case .done(let report) = job.state else { Issue.record("\(job.state)"); return }
        #expect(!job.isRunning)
        let direct = try DialogueExport.export(planner, name: "job", to: folder.appendingPathComponent("b.export"))
        #expect(report.files == direct.files && report.seconds == direct.seconds)
        for file in direct.files {
            #expect(try Data(contentsOf: folder.appendingPathComponent("a.export/\(file)"))
                    == Data(contentsOf: folder.appendingPathComponent("b.export/\(file)")), "\(file)")
        }
        // A folder it cannot write to: the job fails with the reason.
        let blocked = folder.appendingPathComponent("blocked")
        try Data("a file".utf8).write(to: blocked)
        let failing = ExportJob(planner, name: "job", to: blocked)
        failing.wait()
        guard case .failed(let why) = failing.state else { Issue.record("\(failing.state)"); return }
        #expect(!why.isEmpty)
    }

    /// `# file:` notes name the next line's file (folders allowed; `..` and empty parts dropped, a name given
    /// twice made unique); other lines keep their numbers; the notes are the event colour's, and act on the
    /// next line that says something only.
    /// An export that fails midway (here at a bed's file, after the transcript was written) leaves the export before
    /// as it was, and nothing of its own (explore pass 6, B2: a stopped export left a mix of old and new files); one
    /// stopped by a signal leaves only its hidden folder, which the next export removes.
    @Test func anExportStoppedMidwayLeavesTheExportBefore() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder.appendingPathComponent("show.takes"))
        var project = Project(cast: [CastMember(name: "Mara", voice: .automatic)], script: ["[Mara] Hello there.", "[Mara] Bye."])
        func planner() -> DialoguePlanner {
            DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []),
                            takes: store, fingerprints: ClipFingerprints())
        }
        try planner().keepTake([0.1, 0.2, 0.3], line: 0)
        try planner().keepTake([0.4, 0.5], line: 1)
        let out = folder.appendingPathComponent("show.export")
        let first = try DialogueExport.export(planner(), name: "show", to: out)
        func contents() throws -> [String: Data] {
            Dictionary(uniqueKeysWithValues: try first.files.map { ($0, try Data(contentsOf: out.appendingPathComponent($0))) })
        }
        let before = try contents()

        // A process that died exporting left its folder; the next export removes it.
        let abandoned = folder.appendingPathComponent(".show.export.partial-999999")
        try FileManager.default.createDirectory(at: abandoned.appendingPathComponent("lines"), withIntermediateDirectories: true)

        project.script = ["# bed: nowhere.wav", "[Mara] Hello again.", "[Mara] Bye."]  // a new transcript, were it written
        #expect(throws: (any Error).self) { try DialogueExport.export(planner(), name: "show", to: out) }
        #expect(try contents() == before)
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(left == ["show.export", "show.takes"], "\(left)")

        // Stopped by its caller (higgs render at Ctrl-C) as it writes the lines: the same.
        struct Stop: Error {}
        project.script = ["[Mara] Hello again.", "[Mara] Bye."]
        try planner().keepTake([0.6, 0.7], line: 0)
        var told: [String] = []
        #expect(throws: Stop.self) {
            try DialogueExport.export(planner(), name: "show", to: out) { stage in
                told.append(stage)
                if stage == "lines/" { throw Stop() }
            }
        }
        #expect(told == ["the takes (1 of 2)", "lines/"])
        #expect(try contents() == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["show.export", "show.takes"])

        // A file where the folder goes is named, not a Foundation error (explore pass 6, C1).
        try FileManager.default.removeItem(at: out)
        try Data("x".utf8).write(to: out)
        #expect { try DialogueExport.export(planner(), name: "show", to: out) } throws: { error in
            "\(error)" == "\(out.path): a file is there, where the export's folder goes; move it away or rename it"
        }
    }

    @Test func fileNotesNameTheLinesFiles() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder.appendingPathComponent("game.takes"))
        let project = Project(cast: [CastMember(name: "Guard", voice: .automatic)],
                              script: ["# file: guard/greet", "# a reminder", "[Guard] Halt!", "[Guard] Who goes there?",
                                       "# FILE: ../../etc/.hidden", "[Guard] Pass.", "# file: guard/greet", "[Guard] Halt again!",
                                       "# file:", "[Guard] Bye."])
        #expect(ScriptLine("# File:  npc/a b ").exportFileName == "npc/a b" && ScriptLine("# file:").exportFileName == nil)
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []),
                                      scenes: SceneLibrary(scenes: []), takes: store, fingerprints: ClipFingerprints())
        #expect(planner.lineFileNames == [2: "guard/greet", 3: "004", 5: "etc/_hidden", 7: "guard/greet_2", 9: "010"])
        // A name that is not the file written is said (the studio's line hint, render): a path left out, a name taken.
        #expect(project.script.indices.map { planner.fileNoteChange(line: $0) } == [
            nil, nil, nil, nil, "line 6 is exported as lines/etc/_hidden.wav (a path cannot hold it as written)", nil,
            "line 8 is exported as lines/guard/greet_2.wav (the name is given above)", nil, nil, nil,
        ])
        for line in [2, 3, 5, 7, 9] {
            try planner.keepTake([Float](repeating: Float(line) / 10, count: 50), line: line)
        }
        let out = folder.appendingPathComponent("game.export")
        let report = try DialogueExport.export(planner, name: "game", to: out)
        #expect(report.files.filter { $0.hasPrefix("lines/") }
                == ["lines/004.wav", "lines/010.wav", "lines/etc/_hidden.wav", "lines/guard/greet.wav", "lines/guard/greet_2.wav"])
        #expect(try WAVFile.read(out.appendingPathComponent("lines/guard/greet_2.wav")).samples.allSatisfy { abs($0 - 0.7) < 1e-4 })
    }

    /// `# pause:` notes add silence before the next line: in the export (before the first line too, and as a
    /// chapter's lead-in), in the subtitles' times, and in "play from here" (but for a lead-in).
    @Test func pausesAddSilenceBeforeTheNextLine() throws {
        #expect(ScriptLine("# pause: 1.5").pauseSeconds == 1.5 && ScriptLine("#Pause: 2 s").pauseSeconds == 2)
        #expect(ScriptLine("# pause: soon").pauseSeconds == nil && ScriptLine("# pause: -1").pauseSeconds == nil)
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder.appendingPathComponent("p.takes"))
        var project = Project(cast: [CastMember(name: "Mara", voice: .automatic), CastMember(name: "Theo", voice: .automatic)],
                              script: ["# chapter: One", "# pause: 0.01", "[Mara] One.", "# pause: 0.02s", "# a note", "# pause: 0.005",
                                       "[Theo] Two."])
        project.settings.gap = 0.001
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []),
                                      scenes: SceneLibrary(scenes: []), takes: store, fingerprints: ClipFingerprints())
        #expect([2, 6].map { planner.pause(before: $0) } == [240, 600])
        for (line, level) in [(2, 0.25), (6, 0.5)] as [(Int, Float)] {
            try planner.keepTake([Float](repeating: level, count: 100), line: line)
        }
        let out = folder.appendingPathComponent("p.export")
        _ = try DialogueExport.export(planner, name: "p", to: out)
        let whole = try WAVFile.read(out.appendingPathComponent("p.wav")).samples
        let one = [Float](repeating: 0.25, count: 100), two = [Float](repeating: 0.5, count: 100)
        let zeros = { (n: Int) in [Float](repeating: 0, count: n) }
        #expect(planner.exportLength == whole.count)
        let laidOut = whole == zeros(240) + one + zeros(24 + 600) + two
        #expect(laidOut)
        let chapter = try WAVFile.read(out.appendingPathComponent("chapters/01 One.wav")).samples == whole
        #expect(chapter)
        #expect(try String(contentsOf: out.appendingPathComponent("p.srt"), encoding: .utf8).hasPrefix("1\n00:00:00,010 --> 00:00:00,014\n"))
        let stream = try #require(DialogueAudio.stream(planner, from: 0, lineIDs: Array(0..<7)))
        let played = stream.snapshot == one + zeros(624) + two
        #expect(played)
    }

    /// `# overlap:` notes start the next line before the one before it ends (an interruption), never before
    /// it starts; the overlapping audio is added together in the dialogue, its stems and "play from here".
    @Test func overlapsStartTheNextLineBeforeTheLastEnds() throws {
        #expect(ScriptLine("# overlap: 0.3 s").overlapSeconds == 0.3 && ScriptLine("# Overlap: 2").overlapSeconds == 2)
        #expect(ScriptLine("# overlap: 11").overlapSeconds == nil && ScriptLine("# overlap: -1").overlapSeconds == nil)
        let laidOut = Timeline.layout([(0, 1_000, nil, ""), (1, 500, nil, ""), (2, 300, nil, ""), (3, 10, nil, "")], gap: 100,
                                      placements: [0, 200, 900, 0].map { Placement(overlap: $0) })
        #expect(laidOut.map(\.start) == [0, 800, 800, 1_200] && Timeline.length(laidOut) == 1_300)

        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder.appendingPathComponent("o.takes"))
        var project = Project(cast: [CastMember(name: "Mara", voice: .automatic), CastMember(name: "Theo", voice: .automatic)],
                              script: ["[Mara] Let me finish.", "# overlap: 0.004", "[Theo] No!"])
        project.settings.gap = 0.001
        let planner = DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []),
                                      scenes: SceneLibrary(scenes: []), takes: store, fingerprints: ClipFingerprints())
        #expect(planner.placement(before: 2) == Placement(overlap: 96) && planner.placement(before: 0) == Placement())
        for (line, samples) in [(0, [Float](repeating: 0.25, count: 200)), (2, [Float](repeating: 0.5, count: 100))] {
            try planner.keepTake(samples, line: line)
        }
        let out = folder.appendingPathComponent("o.export")
        _ = try DialogueExport.export(planner, name: "o", to: out)
        let expected = [Float](repeating: 0.25, count: 104) + [Float](repeating: 0.75, count: 96) + [Float](repeating: 0.5, count: 4)
        func near(_ a: [Float], _ b: [Float]) -> Bool { a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) < 1e-4 } }
        let whole = try WAVFile.read(out.appendingPathComponent("o.wav")).samples
        #expect(near(whole, expected) && planner.exportLength == 204)
        let theo = try WAVFile.read(out.appendingPathComponent("stems/Theo.wav")).samples
        #expect(near(theo, [Float](repeating: 0, count: 104) + [Float](repeating: 0.5, count: 100)))
        #expect(try String(contentsOf: out.appendingPathComponent("o.srt"), encoding: .utf8)
            .contains("2\n00:00:00,004 --> 00:00:00,009\nTheo: No!"))
        let stream = try #require(DialogueAudio.stream(planner, from: 0, lineIDs: [10, 11, 12]))
        #expect(stream.snapshot == expected && stream.line(at: 103) == 10 && stream.line(at: 104) == 12)
    }

    /// Where lines overlap, loud peaks that would add up past full scale are rounded off under it; a line
    /// alone keeps every sample.
    @Test func overlappingPeaksAreRoundedOffNotClipped() throws {
        let entries = Timeline.layout([(0, 1_000, nil, ""), (1, 500, nil, ""), (2, 200, nil, "")], gap: 100,
                                      placements: [Placement(), Placement(overlap: 300), Placement(overlap: 100)])
        #expect(Timeline.overlaps(entries) == [700..<1_000, 1_100..<1_200])
        let planner = DialoguePlanner(project: Project(), voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []),
                                      takes: TakeStore(folder: URL(fileURLWithPath: "/nonexistent")), fingerprints: ClipFingerprints())
        let pieces = [[Float](repeating: 0.7, count: 1_000), [Float](repeating: -0.7, count: 500), [Float](repeating: -0.6, count: 200)]
        let mixed = try planner.mix(entries, pieces, bedsFrom: nil).audio
        #expect(mixed.count == 1_300 && mixed[..<700].allSatisfy { $0 == 0.7 } && mixed[700..<1_000].allSatisfy { $0 == 0 })
        #expect(mixed[1_000..<1_100].allSatisfy { $0 == -0.7 } && mixed[1_200...].allSatisfy { $0 == -0.6 })
        // -1.3 rounded off: past the knee, short of full scale.
        #expect(mixed[1_100..<1_200].allSatisfy { $0 < -0.8 && $0 > -1 })
        var loud: [Float] = [0.5, 0.8, 1.2, -3]
        Loudness.softLimit(&loud, in: 0..<4)
        #expect(loud[0] == 0.5 && loud[1] == 0.8 && loud[2] > 0.95 && loud[2] < 1 && loud[3] < -0.99 && loud[3] >= -1)
    }

    @Test func exportWithoutTakesWritesTheTranscript() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let planner = DialoguePlanner(project: SampleProject.project, voices: VoiceLibrary(clips: [], profiles: []),
                                      scenes: SceneLibrary(scenes: []), takes: TakeStore(folder: folder.appendingPathComponent("t")),
                                      fingerprints: ClipFingerprints())
        let report = try DialogueExport.export(planner, name: "sample", to: folder)
        #expect(report.files == ["sample.txt"] && report.lines == 0 && report.missing.count == 7)
        let text = try String(contentsOf: folder.appendingPathComponent("sample.txt"), encoding: .utf8)
        #expect(text.hasPrefix("[Mara] Good evening, night owls"))
        #expect(text.contains("\n[Lin] 我最喜欢外婆做的葱油饼，又香又脆。\n"))
    }

    /// An export replaces the one before in its folder: what that one wrote and this one does not (a line since
    /// without a take, a chapter or a stem gone, MP3s turned off) is removed, and nothing else there.
    @Test func anExportLeavesNothingOfTheOneBefore() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = TakeStore(folder: folder.appendingPathComponent("book.takes"))
        var project = Project(cast: [CastMember(name: "Mara", voice: .automatic), CastMember(name: "Theo", voice: .automatic)],
                              script: ["[Mara] Welcome.", "# chapter: One", "[Theo] First.", "# file: guard/greet", "[Mara] Second."])
        project.settings.mp3 = 128
        func planner() -> DialoguePlanner {
            DialoguePlanner(project: project, voices: VoiceLibrary(clips: [], profiles: []), scenes: SceneLibrary(scenes: []),
                            takes: store, fingerprints: ClipFingerprints())
        }
        for (line, level) in [(0, 0.1), (2, 0.2), (4, 0.3)] as [(Int, Float)] {
            try planner().keepTake([Float](repeating: level, count: 2400), line: line)
        }
        let out = folder.appendingPathComponent("book.export")
        let first = try DialogueExport.export(planner(), name: "book", to: out)
        #expect(first.files.contains("lines/guard/greet.wav") && first.files.contains("book.mp3") && first.files.contains("stems/Theo.wav"))
        try "mine".write(to: out.appendingPathComponent("notes.md"), atomically: true, encoding: .utf8)
        try "mine".write(to: out.appendingPathComponent("lines/read me.txt"), atomically: true, encoding: .utf8)

        // Theo's line goes, and the chapter, the file note and the MP3s with it.
        project.script = ["[Mara] Welcome.", "[Mara] Second."]
        project.settings.mp3 = nil
        let second = try DialogueExport.export(planner(), name: "book", to: out)
        var left: [String] = []
        for case let file as String in FileManager.default.enumerator(atPath: out.path)! {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path, isDirectory: &isFolder), !isFolder.boolValue {
                left.append(file)
            }
        }
        // What the export is made of is kept beside its files (`ExportKey`): a render with nothing new leaves them as they are.
        #expect(left.sorted() == (second.files + ["notes.md", "lines/read me.txt", ".export-key"]).sorted(), "\(left.sorted())")
        #expect(second.files == ["book.srt", "book.txt", "book.vtt", "book.wav", "lines.csv", "lines/001.wav", "lines/002.wav"])
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("lines/guard").path))
        #expect(try WAVFile.read(out.appendingPathComponent("lines/002.wav")).samples.allSatisfy { $0 > 0.25 })
    }
}
