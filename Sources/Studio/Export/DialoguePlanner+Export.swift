import AudioIO
import Foundation

/// A part of the script that `# chapter:` notes mark off.
public struct Chapter: Equatable, Sendable {
    /// 1 for the first `# chapter:` note; 0 for the lines before it (the opening).
    public var number: Int
    public var title: String
    /// The script lines it holds, its note included.
    public var lines: Range<Int>
}

/// How a project's lines are laid out in exports and "play from here": their chapters, the gap and the
/// pauses notes ask for, their level, and the length of it all.
extension DialoguePlanner {
    /// The `gap` setting, in samples.
    public var gapSamples: Int { Int((project.settings.gap * Double(AudioFormat.sampleRate)).rounded()) }

    /// The script's chapters, in order: none when it has no `# chapter:` note; else the opening (when lines
    /// come before the first note) and one per note, an empty title read as "Chapter N".
    public var chapters: [Chapter] {
        let starts = project.script.indices.filter { ScriptLine(project.script[$0]).chapterTitle != nil }
        guard let first = starts.first else { return [] }
        var out: [Chapter] = []
        if project.script[..<first].contains(where: { !ScriptLine($0).saysNothing }) {
            out.append(Chapter(number: 0, title: "Opening", lines: 0..<first))
        }
        for (n, start) in starts.enumerated() {
            let title = ScriptLine(project.script[start]).chapterTitle ?? ""
            let end = n + 1 < starts.count ? starts[n + 1] : project.script.count
            out.append(Chapter(number: n + 1, title: title.isEmpty ? "Chapter \(n + 1)" : title, lines: start..<end))
        }
        return out
    }

    /// How long the exported dialogue is with the takes there are now, in samples.
    public var exportLength: Int { Timeline.length(presentTimeline) }

    /// The exported dialogue laid out with the takes there are now, from the takes' records: no audio is read
    /// (a take recorded before its sound was kept counts whole until its audio is read).
    public var presentTimeline: [TimelineEntry] {
        let present = project.script.indices.compactMap { i -> (line: Int, length: Int, speaker: String?, text: String)? in
            guard !saysNothing(line: i), let take = takes(line: i).current, takes.hadTake(take.key) else { return nil }
            return (i, exportedLength(of: take, line: i), nil, "")
        }
        return layout(present)
    }

    /// How long line `i`'s take is in exports (trimmed, with the `trim` setting, and fitted to its cue, with
    /// `fit-cues`), in samples, from its record.
    public func exportedLength(of take: TakeInfo, line i: Int) -> Int {
        paced(line: i, length: trimmedLength(of: take))
    }

    /// The length line `i`'s audio of `length` samples is played over: at its `# tempo:`, then fitted to its cue.
    public func paced(line i: Int, length: Int) -> Int {
        let length = atTempo(line: i, length: length)
        return fittedLength(line: i, length: length) ?? length
    }

    /// The length of `length` samples at line `i`'s `# tempo:`.
    public func atTempo(line i: Int, length: Int) -> Int { Int((Double(length) / (tempo(before: i) ?? 1)).rounded()) }

    /// How long a take is with the `trim` setting, in samples, from its record.
    public func trimmedLength(of take: TakeInfo) -> Int {
        project.settings.trim ? TakeTrim.kept(takes.knownSound(of: take), of: take.samples).count : take.samples
    }

    /// The length line `i`'s audio of `length` samples is brought to: its cue's, when it runs past the cue's
    /// end by no more than `fit-cues` percent of speed allows; nil when it is left at its pace (it fits, its
    /// cue has no end, it would need more, or the setting is off).
    public func fittedLength(line i: Int, length: Int) -> Int? {
        guard let percent = project.settings.fitCues, let seconds = cue(before: i)?.seconds else { return nil }
        let target = Self.samples(seconds)
        guard target > 0, length > target, Double(length) <= Double(target) * (1 + Double(percent) / 100) else { return nil }
        return target
    }

    /// Line `i`'s take as exports, "play from here" and `p` give it: `levelledSamples`, then at its tempo
    /// and fitted to its cue (in one stretch), then at its `# gain:` (peaks a gain would push past full scale
    /// rounded off, `Loudness.softLimit`).
    public func exportedSamples(line i: Int, take: TakeInfo) throws -> [Float] {
        var samples = try levelledSamples(take)
        let length = paced(line: i, length: samples.count)
        if length != samples.count { samples = TimeStretch.fit(samples, to: length, sampleRate: AudioFormat.sampleRate) }
        if let decibels = gain(before: i), decibels != 0 {
            let factor = Float(pow(10, decibels / 20))
            for k in samples.indices { samples[k] *= factor }
            if decibels > 0 { Loudness.softLimit(&samples, in: samples.indices) }
        }
        return samples
    }

    /// Lays out script lines of the given lengths (those with takes, in order) as exports do: the gap between
    /// them, and the pauses, overlaps and cues their notes ask for; `leadIn: false` starts the first at once
    /// ("play from here"), and the others as far after it as they would be.
    public func layout(_ lines: [(line: Int, length: Int, speaker: String?, text: String)], leadIn: Bool = true) -> [TimelineEntry] {
        var entries = Timeline.layout(lines, gap: gapSamples, placements: lines.map { placement(before: $0.line) })
        if !leadIn, let first = entries.first?.start {
            for k in entries.indices { entries[k].start -= first }
        }
        return entries
    }

    /// The silence `# pause:` notes ask for before line `i` (those between it and the line before that
    /// says something), in samples.
    public func pause(before i: Int) -> Int { placement(before: i).pause }

    /// How the notes between line `i` and the line before it that says something place it: their pauses
    /// and overlaps added up, and the cue nearest to it. A chapter's first line starts after the line before
    /// ends, whatever the notes say: a chapter is a file of its own (`overlapNoteProblem`).
    public func placement(before i: Int) -> Placement {
        var pause = 0.0, overlap = 0.0, chapterStarts = false
        var j = i - 1
        while j >= 0 && saysNothing(line: j) {
            let note = ScriptLine(project.script[j])
            pause += note.pauseSeconds ?? 0
            overlap += note.overlapSeconds ?? 0
            chapterStarts = chapterStarts || note.chapterTitle != nil
            j -= 1
        }
        return Placement(pause: Self.samples(pause), overlap: chapterStarts ? 0 : Self.samples(overlap),
                         at: cue(before: i).map { Self.samples($0.start) })
    }

    /// Why an `# overlap:` note on line `i` does nothing: no line before it, or none after it, says something,
    /// or a chapter starts between them. Nil for any other line.
    public func overlapNoteProblem(line i: Int) -> String? {
        guard project.script.indices.contains(i), (ScriptLine(project.script[i]).overlapSeconds ?? 0) > 0 else { return nil }
        var chapterStarts = false
        var before = i - 1
        while before >= 0 && saysNothing(line: before) {
            chapterStarts = chapterStarts || ScriptLine(project.script[before]).chapterTitle != nil
            before -= 1
        }
        var after = i + 1
        while after < project.script.count && saysNothing(line: after) {
            chapterStarts = chapterStarts || ScriptLine(project.script[after]).chapterTitle != nil
            after += 1
        }
        if before < 0 { return "no line before it to overlap" }
        if after == project.script.count { return "no line after it to start early" }
        if chapterStarts { return "a chapter starts here, after the last line before it ends (it is a file of its own)" }
        return nil
    }

    /// The cue the notes above line `i` give it, if any.
    public func cue(before i: Int) -> Cue? { nearestNote(before: i, \.cue) }

    /// The gain in dB the notes above line `i` give it, if any.
    public func gain(before i: Int) -> Double? { nearestNote(before: i, \.gainDecibels) }

    /// The tempo the notes above line `i` give it, if any.
    public func tempo(before i: Int) -> Double? { nearestNote(before: i, \.tempo) }

    /// What the note nearest above line `i` (between it and the line before that says something) gives.
    private func nearestNote<T>(before i: Int, _ value: (ScriptLine) -> T?) -> T? {
        var j = i - 1
        while j >= 0 && saysNothing(line: j) {
            if let found = value(ScriptLine(project.script[j])) { return found }
            j -= 1
        }
        return nil
    }

    static func samples(_ seconds: Double) -> Int { Int((seconds * Double(AudioFormat.sampleRate)).rounded()) }

    /// The path (under `lines/`, without `.wav`) of each line that says something: the name a `# file:` note
    /// above it gives (between it and the line before that says something; folders allowed, `..` and empty
    /// parts dropped), else its line number, `NNN`. A name given twice gets `_2`, `_3`... after the first.
    public var lineFileNames: [Int: String] {
        var names: [Int: String] = [:]
        var taken = Set<String>()
        for i in project.script.indices where !saysNothing(line: i) {
            var given: String?
            var j = i - 1
            while j >= 0 && saysNothing(line: j) {
                given = given ?? ScriptLine(project.script[j]).exportFileName
                j -= 1
            }
            var name = given.flatMap(Self.cleanedFileName) ?? String(format: "%03d", i + 1)
            if taken.contains(name.lowercased()) {
                var n = 2
                while taken.contains("\(name)_\(n)".lowercased()) { n += 1 }
                name += "_\(n)"
            }
            taken.insert(name.lowercased())
            names[i] = name
        }
        return names
    }

    /// The take an export uses for `line`: its chosen take, where its audio is still there; nil for none.
    public func exportedTake(line: Int) -> TakeInfo? {
        guard let take = takes(line: line).current, takes.hasTake(take.key) else { return nil }
        return take
    }

    /// A `# file:` note's name as a path under `lines/`: `..`, `.` and empty parts dropped, each part a file name
    /// (`DialogueExport.fileName`); nil when nothing is left.
    static func cleanedFileName(_ given: String) -> String? {
        let parts = given.split(separator: "/").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !["", ".", ".."].contains($0) }.map(DialogueExport.fileName)
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }

    /// What becomes of the name a `# file:` note at `line` gives, when it is not the file written: `..`, a leading dot
    /// or characters a file name cannot hold left out, or `_2` added for a name given above; nil when the note's name
    /// is the file's, or the line is no such note (or names no line: nothing follows it).
    public func fileNoteChange(line: Int) -> String? {
        guard project.script.indices.contains(line), let written = ScriptLine(project.script[line]).exportFileName else { return nil }
        guard let named = project.script.indices.dropFirst(line + 1).first(where: { !saysNothing(line: $0) }),
              !(line + 1..<named).contains(where: { ScriptLine(project.script[$0]).exportFileName != nil }),
              let file = lineFileNames[named], file != written else { return nil }
        let why = Self.cleanedFileName(written) == written ? "the name is given above" : "a path cannot hold it as written"
        return "line \(named + 1) is exported as lines/\(file).wav (\(why))"
    }

    /// A take's samples as exports and "play from here" give them: the silence it starts and ends with cut
    /// (`trim`), and brought to the project's `loudness` when it has one (each line alone, so that every
    /// voice sits at the same level; peaks under -1 dB, or -3.5 for an audiobook).
    public func levelledSamples(_ take: TakeInfo) throws -> [Float] {
        var samples = try takes.samples(take.key)
        if project.settings.trim { samples = TakeTrim.apply(samples, sound: takes.sound(of: take, in: samples)) }
        guard let target = project.settings.loudness else { return samples }
        let ceiling = project.settings.audiobook ? AudiobookCheck.ceiling : 0.891
        let gain = Loudness.gain(bringing: samples, sampleRate: AudioFormat.sampleRate, to: target, ceiling: ceiling)
        return samples.map { $0 * gain }
    }
}
