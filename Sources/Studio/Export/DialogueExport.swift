import AudioIO
import Foundation

/// Where each line sits in the exported dialogue: lines one after the other with a gap between them.
public struct TimelineEntry: Equatable, Sendable {
    /// Script line index.
    public var line: Int
    /// First sample, at 24 kHz.
    public var start: Int
    public var length: Int
    /// The subtitle text (spoken text, event tags removed), with the speaker's name if several speak.
    public var speaker: String?
    public var text: String

    public init(line: Int, start: Int, length: Int, speaker: String?, text: String) {
        self.line = line
        self.start = start
        self.length = length
        self.speaker = speaker
        self.text = text
    }

    public var end: Int { start + length }
}

/// Where a line goes relative to the line before it, from the notes above it, in samples.
public struct Placement: Equatable, Sendable {
    /// More silence before it (`# pause:`; before the first line too).
    public var pause = 0
    /// It starts this long before the line before it ends, in place of the gap (`# overlap:`).
    public var overlap = 0
    /// It starts here (`# at:`, a cue), unless a line before it still sounds there (`Timeline.layout`).
    public var at: Int?

    public init(pause: Int = 0, overlap: Int = 0, at: Int? = nil) {
        self.pause = pause
        self.overlap = overlap
        self.at = at
    }
}

public enum Timeline {
    /// How far a line may run into the next line's cue, in samples, before that line waits for it and both
    /// are named: 50 ms, about a consonant (`DialoguePlanner.timingProblems`).
    public static let cueTolerance = AudioFormat.sampleRate / 20

    /// Lays out lines of `length` samples one after the other with `gap` samples between them, each placed
    /// as `placements[i]` says: a pause adds silence, an overlap starts a line before the one before it
    /// ends, a cue puts it at its time. A cued line that would start while a line before it still sounds
    /// (by more than `cueTolerance`), or before the line before it starts, waits for it to end, after the
    /// gap: two voices are never added together but where an overlap note asks, and lines start in order
    /// ("play from here" plays a line once the one before it has started).
    public static func layout(_ lines: [(line: Int, length: Int, speaker: String?, text: String)], gap: Int,
                              placements: [Placement] = []) -> [TimelineEntry] {
        var out: [TimelineEntry] = []
        var reach = 0  // where the lines so far end
        for (i, l) in lines.enumerated() {
            let place = placements.indices.contains(i) ? placements[i] : Placement()
            var start: Int
            if let at = place.at {
                let clashes = !out.isEmpty && (reach - at > cueTolerance || at < out.last!.start)
                start = clashes ? reach + gap : at
            } else if let previous = out.last {
                start = (place.overlap > 0 ? previous.end - place.overlap : previous.end + gap) + place.pause
            } else {
                start = place.pause
            }
            start = max(start, out.last?.start ?? 0)
            out.append(TimelineEntry(line: l.line, start: start, length: l.length, speaker: l.speaker, text: l.text))
            reach = max(reach, start + l.length)
        }
        return out
    }

    /// Where two or more lines sound at once (lines start in order, as `layout` places them).
    public static func overlaps(_ entries: [TimelineEntry]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var reach = 0
        for entry in entries {
            if entry.start < reach { out.append(entry.start..<min(reach, entry.end)) }
            reach = max(reach, entry.end)
        }
        return out
    }

    /// How long a laid-out dialogue is: to the end of the line that ends last (an overlapping line may end
    /// before the one it interrupts).
    public static func length(_ entries: [TimelineEntry]) -> Int { entries.map(\.end).max() ?? 0 }

    /// The lines' audio laid out, added together where they overlap; `pieces[i]` is `entries[i]`'s audio,
    /// or nil to leave it out (another speaker's line, in a stem). At least `length` samples long.
    public static func mix(_ entries: [TimelineEntry], _ pieces: [[Float]?], length: Int = 0) -> [Float] {
        mix(entries, pieces, range: 0..<max(length, self.length(entries)))
    }

    /// The stretch `range` of that mix (a long book is written a stretch at a time).
    public static func mix(_ entries: [TimelineEntry], _ pieces: [[Float]?], range: Range<Int>) -> [Float] {
        var out = [Float](repeating: 0, count: range.count)
        for (entry, piece) in zip(entries, pieces) {
            guard let piece else { continue }
            let heard = (entry.start..<(entry.start + min(entry.length, piece.count))).clamped(to: range)
            for at in heard { out[at - range.lowerBound] += piece[at - entry.start] }
        }
        return out
    }
}

/// SubRip and WebVTT subtitles of a timeline, times rounded to the millisecond.
public enum Subtitles {
    public static func srt(_ entries: [TimelineEntry]) -> String {
        var out = ""
        for (n, e) in entries.filter({ !$0.text.isEmpty }).enumerated() {
            out += "\(n + 1)\n\(timestamp(e.start, ",")) --> \(timestamp(e.end, ","))\n"
            out += (e.speaker.map { "\($0): " } ?? "") + e.text + "\n\n"
        }
        return out
    }

    public static func vtt(_ entries: [TimelineEntry]) -> String {
        var out = "WEBVTT\n\n"
        for e in entries where !e.text.isEmpty {
            out += "\(timestamp(e.start, ".")) --> \(timestamp(e.end, "."))\n"
            out += (e.speaker.map { "<v \(escape($0))>" } ?? "") + escape(e.text) + "\n\n"
        }
        return out
    }

    /// `HH:MM:SS,mmm` (SRT) or `HH:MM:SS.mmm` (VTT) for a sample offset at 24 kHz.
    public static func timestamp(_ samples: Int, _ separator: String) -> String {
        let rate = AudioFormat.sampleRate
        let ms = (samples * 1000 + rate / 2) / rate
        return String(format: "%02d:%02d:%02d%@%03d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, separator, ms % 1000)
    }

    /// WebVTT cue text must not hold `<`, `&` or `-->`.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}

/// An export not written because no line has a take while the folder holds an earlier export's audio: that
/// audio is kept (the takes it was made from may be gone).
public struct ExportRefused: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(takes: URL, export: URL) {
        let missing = !FileManager.default.fileExists(atPath: takes.path)
        description = "Not exported: no line has a take" + (missing ? " (\(takes.lastPathComponent)/ is missing)" : "")
            + (FileManager.default.fileExists(atPath: export.path) ? "; the previous export in \(export.path)/ is kept" : "")
    }
}

/// What an export wrote.
public struct ExportReport: Equatable, Sendable {
    public var folder: URL
    public var files: [String]
    /// Lines with audio in the export.
    public var lines: Int
    /// Lines with something to say left out because they have no take yet.
    public var missing: [Int]
    public var seconds: Double

    /// The chapter files that fail ACX's requirements (`check.txt` says why); nil unless the project is an
    /// audiobook.
    public var audiobookFailures: [String]?
    /// The lines that run past their cues (`# at:` notes), those that start after theirs, and overlaps longer than the line before.
    public var timing: TimingProblems
    public var overruns: [CueOverrun] { timing.overruns }

    public init(folder: URL, files: [String], lines: Int, missing: [Int], seconds: Double, audiobookFailures: [String]? = nil,
                timing: TimingProblems = TimingProblems()) {
        self.folder = folder
        self.files = files
        self.lines = lines
        self.missing = missing
        self.seconds = seconds
        self.audiobookFailures = audiobookFailures
        self.timing = timing
    }

    /// The lines that run past their cues or start after them, in a few words ("line 12 runs 0.4 s past its
    /// cue"); nil when all keep them.
    public var timingVerdict: String? { timing.verdict }

    /// What the ACX check found, in a few words ("all 12 chapter files pass the ACX check"); nil unless the
    /// project is an audiobook.
    public var audiobookVerdict: String? {
        guard let failures = audiobookFailures else { return nil }
        return failures.isEmpty ? (chapters == 1 ? "the chapter file passes the ACX check" : "all \(chapters) chapter files pass the ACX check")
            : "\(failures.count) of \(counted(chapters, "chapter file")) \(failures.count == 1 ? "fails" : "fail") the ACX check (check.txt says why)"
    }

    /// The lines left out for want of a take, named ("line 4 has no take", "3 lines have no take: 4, 7, 9");
    /// nil when none is.
    public var missingVerdict: String? {
        guard !missing.isEmpty else { return nil }
        if missing.count == 1 { return "line \(missing[0] + 1) has no take" }
        return "\(missing.count) lines have no take: \(lineNumbers(missing))"
    }

    /// How many chapters it wrote (`# chapter:` notes), each as WAV and maybe MP3.
    public var chapters: Int { files.filter { $0.hasPrefix("chapters/") && $0.hasSuffix(".wav") }.count }
}

/// Writes a project's export folder:
/// - the transcript (`NAME.txt`, always, in the reference's `[SPEAKERn]` form);
/// - when lines have takes, the whole dialogue (`NAME.wav`, 16-bit 24 kHz, laid out by `DialoguePlanner.layout`,
///   beds under it), each line (`lines/NNN.wav`, NNN the script line number, or the name a `# file:` note
///   gives), subtitles (`NAME.srt`, `NAME.vtt`) and a table of the lines (`lines.csv`);
/// - when several speak or a bed sounds, a stem each (`stems/SPEAKER.wav`, `stems/bed.wav`: the whole
///   dialogue's length, silent but for theirs, so the stems laid over each other in an editor are the dialogue);
/// - when `# chapter: Title` notes divide the script, a file per chapter (`chapters/NN Title.wav`,
///   `00 Opening.wav` for what comes before the first), as an audiobook is delivered;
/// - with the `mp3` setting, the dialogue and the chapters also as MP3 (`NAME.mp3`, `chapters/NN Title.mp3`,
///   tagged with their titles, the project's name as album and their place among them, from 1, as track).
public enum DialogueExport {
    /// `progress` is told what is being written, as it starts (`lines/`, `NAME.mp3`, a chapter...), and told it again
    /// (the same words) every few seconds of work as it goes on; an error it throws (a command stopped) stops the
    /// export there, within those seconds, leaving the export before as it was.
    ///
    /// Everything is written into a hidden folder beside `folder` first, then moved into it (a rename a file) once
    /// whole, and the files of earlier exports not written again are removed: an export stopped midway (Ctrl-C, a
    /// signal, a failure, a full disk) leaves the export before as it was, not a mix of both.
    public static func export(_ planner: DialoguePlanner, name: String, to folder: URL,
                              progress: (String) throws -> Void = { _ in }) throws -> ExportReport {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), !isFolder.boolValue {
            throw StudioError("\(folder.path): a file is there, where the export's folder goes; move it away or rename it")
        }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        removeAbandonedStagings(of: folder)
        let staging = stagingFolder(of: folder, process: getpid())
        try? FileManager.default.removeItem(at: staging)
        defer { try? FileManager.default.removeItem(at: staging) }
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        let report = try write(planner, name: name, into: staging, for: folder, progress: progress)
        for file in report.files {
            let target = folder.appendingPathComponent(file)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            guard rename(staging.appendingPathComponent(file).path, target.path) == 0 else {
                throw StudioError("\(target.path): cannot move the export's file into place (\(String(cString: strerror(errno))))")
            }
        }
        removeEarlierFiles(in: folder, name: name, keeping: report.files)
        ExportKey.record(ExportKey.of(planner, name: name, folder: folder), files: report.files, in: folder)
        return report
    }

    /// Where an export of `folder` is written before it is moved into place: `.NAME.export.partial-PID` beside it.
    static func stagingFolder(of folder: URL, process: pid_t) -> URL {
        folder.deletingLastPathComponent().appendingPathComponent(".\(folder.lastPathComponent).partial-\(process)")
    }

    /// The staging folders of exports whose process is gone (stopped by a signal): removed.
    public static func removeAbandonedStagings(of folder: URL) {
        let parent = folder.deletingLastPathComponent()
        let prefix = ".\(folder.lastPathComponent).partial-"
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? [] where entry.hasPrefix(prefix) {
            guard let pid = pid_t(entry.dropFirst(prefix.count)), pid != getpid(), !OpenMark.isAlive(pid) else { continue }
            try? FileManager.default.removeItem(at: parent.appendingPathComponent(entry))
        }
    }

    /// Writes the export of `folder` into `out`; the report names `folder`. Files are named relative to both.
    private static func write(_ planner: DialoguePlanner, name: String, into out: URL, for folder: URL,
                              progress: (String) throws -> Void) throws -> ExportReport {
        let project = planner.project
        var files: [String] = []
        // What is being written, said again as the work goes on: a stop is heard within seconds, not at the next stage.
        var stage = ""
        func tell(_ text: String) throws {
            stage = text
            try progress(text)
        }
        func goOn() throws { try progress(stage) }

        var pieces: [(line: Int, samples: [Float], speaker: String?, text: String)] = []
        var stemNames: [String] = []  // per piece: its speaker's name, or "no speaker" before any tag
        // An audiobook without chapter notes is one chapter, named after the project.
        var chapters = planner.chapters
        if chapters.isEmpty && project.settings.audiobook {
            chapters = [Chapter(number: 1, title: name, lines: project.script.indices)]
        }
        var pieceChapters: [Int] = []  // per piece: its chapter's number
        var missing: [Int] = []
        let named = Set(planner.casting.lineSpeakers.compactMap { $0 }).count > 1
        // Reading, trimming and levelling every take is most of a long book's export: said as it goes.
        let speaking = project.script.indices.filter { !planner.saysNothing(line: $0) }
        for (n, i) in speaking.enumerated() {
            if n % 100 == 0 { try tell("the takes (\(n + 1) of \(speaking.count))") }
            guard let take = planner.exportedTake(line: i) else {
                missing.append(i)
                continue
            }
            let samples = try planner.exportedSamples(line: i, take: take)
            let speaker = planner.casting.lineSpeakers[i].map { s in
                s < project.cast.count ? project.cast[s].name : "SPEAKER\(s)"
            }
            let text = ScriptLine(project.script[i], cast: project.cast.map(\.name)).spokenText
            pieces.append((i, samples, named ? speaker : nil, text))
            stemNames.append(speaker ?? "no speaker")
            pieceChapters.append(chapters.first { $0.lines.contains(i) }?.number ?? 0)
        }
        // Without a take to export, an export would leave the transcript alone and remove the audio an earlier one
        // wrote: perhaps the only copy left, when the takes were deleted. The folder is left as it is.
        if pieces.isEmpty && holdsAudio(folder, name: name) {
            throw ExportRefused(takes: planner.takes.folder, export: folder)
        }
        // The transcript: the lines heard, with their speakers' names as written; every line when none has a take
        // yet (a script exported as text, with no model).
        try AtomicFile.write(Data(transcript(planner, lines: pieces.isEmpty ? speaking : pieces.map(\.line)).utf8),
                             to: out.appendingPathComponent("\(name).txt"))
        files.append("\(name).txt")
        guard !pieces.isEmpty else {
            return ExportReport(folder: folder, files: files, lines: 0, missing: missing, seconds: 0)
        }
        let timeline = planner.layout(pieces.map { ($0.line, $0.samples.count, $0.speaker, $0.text) })
        // Beds under the lines, their files found beside the project (the export folder's parent).
        let mix = try DialogueMix(planner, timeline, pieces.map(\.samples), bedsFrom: BedSounds(folder: folder.deletingLastPathComponent()))
        let linesFolder = out.appendingPathComponent("lines")
        try FileManager.default.createDirectory(at: linesFolder, withIntermediateDirectories: true)
        let lineNames = planner.lineFileNames
        try tell("lines/")
        var lineFiles: [String] = []
        for (n, piece) in pieces.enumerated() {
            if n % 100 == 99 { try goOn() }
            let lineName = "lines/\(lineNames[piece.line] ?? String(format: "%03d", piece.line + 1)).wav"
            let lineURL = out.appendingPathComponent(lineName)
            try FileManager.default.createDirectory(at: lineURL.deletingLastPathComponent(), withIntermediateDirectories: true)
            try WAVFile.write(piece.samples, sampleRate: AudioFormat.sampleRate, to: lineURL)
            files.append(lineName)
            lineFiles.append(lineName)
        }
        // Each chapter's stretch of the whole dialogue, a pause noted before its first line its lead-in.
        let spans = chapters.compactMap { chapter -> (chapter: Chapter, range: Range<Int>, leadIn: Int)? in
            let entries = timeline.indices.filter { pieceChapters[$0] == chapter.number }.map { timeline[$0] }
            guard let first = entries.first else { return nil }
            // A cue puts its line at a time: what comes before it is the line before's, not a lead-in.
            let place = planner.placement(before: first.line)
            let leadIn = place.at == nil ? place.pause : 0
            return (chapter, (first.start - leadIn)..<Timeline.length(entries), leadIn)
        }
        try tell(project.settings.mp3 == nil ? "\(name).wav" : "\(name).wav and .mp3")
        let rate = AudioFormat.sampleRate
        let dialogue = try WAVWriter(url: out.appendingPathComponent("\(name).wav"), sampleRate: rate)
        // Its chapters run from one's start to the next's, for podcast apps to show and skip between.
        let marks = spans.indices.map { k in
            MP3File.Tags.Chapter(title: spans[k].chapter.title, start: Double(spans[k].range.lowerBound) / Double(rate),
                                 end: Double(k + 1 < spans.count ? spans[k + 1].range.lowerBound : mix.length) / Double(rate))
        }
        let podcast = try project.settings.mp3.map { bitrate in
            try MP3Writer(url: out.appendingPathComponent("\(name).mp3"), sampleRate: rate, bitrate: bitrate,
                          tags: .init(title: name, album: name, chapters: marks))
        }
        for stretch in stretches(of: mix.length) {
            try goOn()
            let samples = mix.samples(stretch)
            try dialogue.append(samples)
            try podcast?.append(samples)
        }
        try dialogue.finish()
        if let podcast {
            try podcast.finish()
            files.append("\(name).mp3")
        }
        if Set(stemNames).count > 1 || mix.hasBeds {
            try tell("stems/")
            try FileManager.default.createDirectory(at: out.appendingPathComponent("stems"), withIntermediateDirectories: true)
            if mix.hasBeds {
                try writeWAV(out.appendingPathComponent("stems/bed.wav"), length: mix.length, goingOn: goOn, mix.beds)
                files.append("stems/bed.wav")
            }
            for stem in Set(stemNames).sorted() {
                let file = "stems/\(fileName(stem)).wav"
                try writeWAV(out.appendingPathComponent(file), length: mix.length, goingOn: goOn) { mix.stem($0) { stemNames[$0] == stem } }
                files.append(file)
            }
        }
        var checks: [(file: String, check: AudiobookCheck)] = []
        if !spans.isEmpty {
            try FileManager.default.createDirectory(at: out.appendingPathComponent("chapters"), withIntermediateDirectories: true)
            for (k, (chapter, range, leadIn)) in spans.enumerated() {
                try tell("chapter \(chapter.number) of \(chapters.last!.number) (\(chapter.title))")
                let written = try writeChapter(chapter, track: k + 1, mix.samples(range), leadIn: leadIn, name: name,
                                               settings: project.settings, in: out)
                files += written.files
                if let check = written.check { checks.append((written.files[0], check)) }
            }
        }
        if project.settings.audiobook {
            try AtomicFile.write(Data(audiobookReport(checks, mp3: project.settings.mp3, loudness: project.settings.loudness).utf8), to: out.appendingPathComponent("check.txt"))
            files.append("check.txt")
        }
        try AtomicFile.write(Data(Subtitles.srt(timeline).utf8), to: out.appendingPathComponent("\(name).srt"))
        try AtomicFile.write(Data(Subtitles.vtt(timeline).utf8), to: out.appendingPathComponent("\(name).vtt"))
        try AtomicFile.write(Data(lineTable(timeline, files: lineFiles, speakers: stemNames,
                                            cues: timeline.map { planner.cue(before: $0.line) }).utf8),
                             to: out.appendingPathComponent("lines.csv"))
        files += ["\(name).wav", "\(name).srt", "\(name).vtt", "lines.csv"]
        return ExportReport(folder: folder, files: files.sorted(), lines: pieces.count, missing: missing,
                            seconds: Double(mix.length) / Double(AudioFormat.sampleRate),
                            audiobookFailures: project.settings.audiobook ? checks.filter { !$0.check.problems.isEmpty }.map(\.file) : nil,
                            timing: planner.timingProblems(timeline))
    }

    /// `[Name] words` per line, the words as written (a respelling is for the model), event tags kept.
    static func transcript(_ planner: DialoguePlanner, lines: [Int]) -> String {
        let cast = planner.project.cast.map(\.name)
        return lines.map { i in
            let body = ScriptLine(planner.project.script[i], cast: cast).body.trimmingCharacters(in: .whitespaces)
            guard let s = planner.casting.lineSpeakers[i] else { return body }
            return "[\(s < cast.count ? cast[s] : "SPEAKER\(s)")] \(body)"
        }.joined(separator: "\n") + "\n"
    }

    /// The folder holds audio an earlier export wrote (the dialogue, or files under `lines/`, `stems/`, `chapters/`).
    static func holdsAudio(_ folder: URL, name: String) -> Bool {
        let fm = FileManager.default
        return ["\(name).wav", "\(name).mp3", "lines", "stems", "chapters"].contains { fm.fileExists(atPath: folder.appendingPathComponent($0).path) }
    }

    /// What an earlier export wrote and this one did not (a line since cut or renumbered, a chapter removed, MP3s
    /// turned off): removed, so that the folder holds this export and nothing older beside it, which a game or an
    /// upload would take as part of it. Only the kinds of files an export writes go: the dialogue's files, and
    /// WAVs and MP3s under `lines/`, `stems/` and `chapters/` (then folders left empty there).
    static func removeEarlierFiles(in folder: URL, name: String, keeping written: [String]) {
        let fm = FileManager.default, kept = Set(written)
        var stale = ["\(name).wav", "\(name).mp3", "\(name).srt", "\(name).vtt", "lines.csv", "check.txt"].filter { !kept.contains($0) }
        var folders: [String] = []
        for top in ["lines", "stems", "chapters"] {
            guard let found = fm.enumerator(atPath: folder.appendingPathComponent(top).path) else { continue }
            for case let file as String in found {
                let path = "\(top)/\(file)"
                var isFolder: ObjCBool = false
                guard fm.fileExists(atPath: folder.appendingPathComponent(path).path, isDirectory: &isFolder) else { continue }
                if isFolder.boolValue { folders.append(path) } else if ["wav", "mp3"].contains((file as NSString).pathExtension), !kept.contains(path) {
                    stale.append(path)
                }
            }
            folders.append(top)
        }
        for path in stale { try? fm.removeItem(at: folder.appendingPathComponent(path)) }
        // Deepest first; a folder still holding something stays.
        for path in folders.sorted(by: { $0.count > $1.count }) {
            let url = folder.appendingPathComponent(path)
            if (try? fm.contentsOfDirectory(atPath: url.path))?.isEmpty == true { try? fm.removeItem(at: url) }
        }
    }

    /// Ten-second stretches of `length` samples: what the files of the whole dialogue are written in.
    private static func stretches(of length: Int) -> [Range<Int>] {
        let step = 10 * AudioFormat.sampleRate
        return stride(from: 0, to: length, by: step).map { $0..<min(length, $0 + step) }
    }

    /// A WAV of `length` samples written a stretch at a time, each stretch's samples from `samples`; `goingOn` is
    /// called before each.
    private static func writeWAV(_ url: URL, length: Int, goingOn: () throws -> Void, _ samples: (Range<Int>) -> [Float]) throws {
        let file = try WAVWriter(url: url, sampleRate: AudioFormat.sampleRate)
        for stretch in stretches(of: length) {
            try goingOn()
            try file.append(samples(stretch))
        }
        try file.finish()
    }

    /// A chapter's file (`chapters/NN Title.wav`, and `.mp3` with the setting, tagged as track `track`, counted from 1
    /// as players count them, an opening first): its stretch of the whole dialogue; for an audiobook, framed with room
    /// tone (0.75 s before its first line, counting a lead-in pause, and 2 s after its last) and checked.
    private static func writeChapter(_ chapter: Chapter, track: Int, _ stretch: [Float], leadIn: Int, name: String,
                                     settings: GenerationSettings, in folder: URL) throws -> (files: [String], check: AudiobookCheck?) {
        let rate = AudioFormat.sampleRate
        var samples = stretch
        if settings.audiobook {
            let before = max(0, Int(AudiobookCheck.leadIn * Double(rate)) - leadIn)
            samples = [Float](repeating: 0, count: before) + samples + [Float](repeating: 0, count: Int(AudiobookCheck.tailOut * Double(rate)))
        }
        let file = "chapters/" + String(format: "%02d ", chapter.number) + fileName(chapter.title) + ".wav"
        try WAVFile.write(samples, sampleRate: rate, to: folder.appendingPathComponent(file))
        var files = [file]
        if let bitrate = settings.mp3 {
            let mp3 = String(file.dropLast(4)) + ".mp3"
            try MP3File.write(samples, sampleRate: rate, bitrate: bitrate,
                              tags: .init(title: chapter.title, album: name, track: track), to: folder.appendingPathComponent(mp3))
            files.append(mp3)
        }
        return (files, settings.audiobook ? AudiobookCheck(samples, sampleRate: rate) : nil)
    }

    /// `lines.csv`: a row per exported line (its file, speaker, words, where it sits in the dialogue, its
    /// cue's times when it has one, and its script line), for a game's dialogue table or a dub's cue sheet.
    /// RFC 4180: commas and quotes quoted.
    static func lineTable(_ timeline: [TimelineEntry], files: [String], speakers: [String], cues: [Cue?]) -> String {
        func field(_ text: String) -> String {
            text.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
        }
        let rate = Double(AudioFormat.sampleRate)
        func seconds(_ value: Double?) -> String { value.map { String(format: "%.3f", $0) } ?? "" }
        var out = "file,speaker,text,start,end,cue_start,cue_end,script_line\r\n"
        for (k, entry) in timeline.enumerated() {
            let cells = [files[k], speakers[k], entry.text, seconds(Double(entry.start) / rate), seconds(Double(entry.end) / rate),
                         seconds(cues[k]?.start), seconds(cues[k]?.end), String(entry.line + 1)]
            out += cells.map(field).joined(separator: ",") + "\r\n"
        }
        return out
    }

    /// `check.txt`: each chapter file against ACX's requirements, what to change where they fail, and the MP3
    /// setting against theirs.
    static func audiobookReport(_ checks: [(file: String, check: AudiobookCheck)], mp3: Int?, loudness: Double?) -> String {
        let failing = checks.filter { !$0.check.problems.isEmpty }.count
        var out = "ACX audio requirements, each chapter file: "
            + (failing == 0 ? (checks.count == 1 ? "the file passes.\n\n" : "all \(checks.count) files pass.\n\n")
                : "\(failing) of \(counted(checks.count, "file")) \(failing == 1 ? "fails" : "fail").\n\n")
        for (file, check) in checks { out += "\(file): \(check.summary)\n" }
        if (mp3 ?? 0) < 192 {
            out += "\nACX takes MP3 at 192 kbit/s or more, constant, at 44.1 kHz: set mp3 to 192.\n"
        }
        let advice = AudiobookCheck.advice(checks.map(\.check), loudness: loudness)
        if !advice.isEmpty { out += "\n" + advice.joined(separator: "\n") + "\n" }
        // ACX measures no floor for it, but its reviewers hear zeros between words as dead air (an edit, not a room).
        let silent = checks.filter { $0.check.noiseFloor == -.infinity }.count
        if silent > 0 {
            out += "\n\(silent == checks.count ? "Every file's" : "\(silent) of the files'") room tone is digital silence (zeros), and so are the "
                + "gaps between lines without a bed: ACX's reviewers may reject that as dead air. A `# bed:` of your room's own "
                + "tone (-60 dB or quieter) fills the gaps under the lines; an audio editor's room-tone fill, the frame.\n"
        }
        return out
    }

    /// A name (a speaker's, a chapter's) as a file's name on any disk the files may be copied to: `/` and the characters Windows and exFAT
    /// refuse (`\ : * ? " < > |`) become `_`, a colon ` -` (a chapter's "One: The Start"), and a leading dot `_`. A name
    /// longer than `longestFileName` bytes is cut there and ends in `…`: file systems refuse names over 255 bytes, and
    /// the number before a chapter's and the temporary names the export writes first need room too.
    static func fileName(_ speaker: String) -> String {
        var safe = speaker.replacingOccurrences(of: ": ", with: " - ")
        safe = String(safe.map { "/\\:*?\"<>|".contains($0) ? "_" : $0 })
        safe = safe.hasPrefix(".") ? "_" + safe.dropFirst() : safe
        guard safe.utf8.count > longestFileName else { return safe }
        var cut = ""
        for c in safe {
            guard cut.utf8.count + c.utf8.count + "…".utf8.count <= longestFileName else { break }
            cut.append(c)
        }
        return cut.trimmingCharacters(in: .whitespaces) + "…"
    }

    static let longestFileName = 180

    /// The export folder of a project: `NAME.export/` beside `NAME.higgs` (or the file a link leads to).
    public static func folder(forProject url: URL) -> URL {
        ProjectFile.companion(of: url, "export")
    }

    /// The name of the files an export of the project writes (`NAME.wav`, `NAME.srt`...): its folder's.
    public static func name(forProject url: URL) -> String {
        folder(forProject: url).deletingPathExtension().lastPathComponent
    }
}
