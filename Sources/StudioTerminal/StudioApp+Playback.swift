import Foundation
import Playback
import Studio

/// "Play from here" being read on a thread of its own while it plays (`DialogueAudio.play`): it starts at
/// once, and a long book is read as it is heard, never held whole.
final class ListenThrough: @unchecked Sendable {
    /// What was heard is kept to skip back into for a while; further back, the listen-through starts again there.
    let stream = AudioStream(keepingBehind: DialogueAudio.keptBehind)
    private let lock = NSLock()
    private var cancelled = false

    init(_ planner: DialoguePlanner, from line: Int, lineIDs: [Int], bedFolder: URL) {
        Thread { [self] in
            DialogueAudio.play(planner, from: line, lineIDs: lineIDs, bedFolder: bedFolder, into: stream,
                               ahead: DialogueAudio.readAhead,
                               isCancelled: { self.isCancelled })
        }.start()
    }

    private var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    /// Nobody listens any more: the reading stops.
    func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
    }
}

/// Playback: a line, a take, "play from here" and moving about in it.
extension StudioApp {
    func start(_ stream: AudioStream, kind: NowPlaying.Kind, sampleRate: Int = AudioFormat.sampleRate) {
        listenThrough?.cancel()  // whatever was read for P before: nobody hears it any more
        pendingPlay = nil  // a line asked to play as it comes gives way to what is asked after it
        listenThrough = nil
        nowPlaying = NowPlaying(kind: kind, stream: stream, sampleRate: sampleRate)
        player.play(stream, sampleRate: sampleRate)
        // "Play from here" takes the cursor along from line to line, so that r, L or an edit is on the line
        // just heard; moving the cursor stops that.
        if case .fromLine(let id) = kind { followedLine = id } else { followedLine = nil }
    }

    /// ← and → while something plays: from line to line in "play from here", 2 s within a single line.
    func skip(forward: Bool) {
        let status = player.currentStatus
        guard let np = nowPlaying, [.playing, .waiting, .paused].contains(status.state) else {
            return say("← and → skip between lines while playing from here (P).", .dim, seconds: 3)
        }
        let rate = np.sampleRate
        let target: Int?
        if case .fromLine = np.kind {
            target = np.stream.lineStart(skippingFrom: status.position, forward: forward, grace: rate * 3 / 2)
        } else {
            target = max(0, status.position + (forward ? 2 : -2) * rate)
        }
        guard let target, target < np.stream.count || np.stream.state == .open else {
            return say(np.stream.state == .open ? "The next line is still being read; a moment." : "That was the last line.", .dim, seconds: 3)
        }
        // Back past what a long listen-through keeps: it starts again at that line.
        if target < np.stream.firstKept, let id = np.stream.line(at: target), let i = editor.index(of: id) {
            editor.moveTo(line: i)
            return playFromCursor()
        }
        player.play(np.stream, from: target, sampleRate: rate)
        if followedLine != nil, let id = np.stream.line(at: target) { follow(to: id) }
    }

    /// Keeps the cursor on the line being heard while it follows playback (see `start`).
    func followPlayback() {
        guard let followed = followedLine else { return }
        guard !editing, currentID == followed, let np = nowPlaying, case .fromLine = np.kind else {
            followedLine = nil
            return
        }
        // Before the player has taken the stream up, and after it ends, the cursor stays where it is.
        let status = player.currentStatus
        guard (player.currentSource as AnyObject?) === np.stream, [.playing, .waiting, .paused].contains(status.state),
              let id = np.stream.line(at: status.position) else { return }
        follow(to: id)
    }

    private func follow(to id: Int) {
        guard let i = editor.index(of: id) else { return }
        if i != editor.line { editor.moveTo(line: i) }
        followedLine = id
    }

    func playLine(_ id: Int) {
        if let state = queue.state(.line(id)), state.isActive {
            if case .running = state, let stream = queue.liveAudio(.line(id)) {
                start(stream, kind: .line(id))
            } else {
                pendingPlay = .line(id)
                say("The line plays as soon as its generation starts.")
            }
            return
        }
        guard let index = editor.index(of: id), let take = plan(index)?.take else {
            say("This line has no take yet: g generates it.", .warning)
            return
        }
        playTake(take, lineID: id)
    }

    /// A finished take is heard as exports and "play from here" give it: trimmed, levelled, fitted to its cue.
    func playTake(_ take: TakeInfo, lineID: Int) {
        do {
            let samples = try editor.index(of: lineID).map { try planner.exportedSamples(line: $0, take: take) }
            let stream = AudioStream(finished: try samples ?? planner.levelledSamples(take))
            stream.markLine(lineID)
            start(stream, kind: .line(lineID))
        } catch {
            say("cannot play the take: \(error)", .error)
        }
    }

    func playFromCursor() {
        guard (editor.line..<planner.lineCount).contains(where: { !planner.saysNothing(line: $0) && planner.takes(line: $0).current != nil })
        else { return say("No line from here on has a take yet: G generates them.", .warning) }
        let listening = ListenThrough(planner, from: editor.line, lineIDs: editor.lines.map(\.id),
                                      bedFolder: url.deletingLastPathComponent())
        start(listening.stream, kind: .fromLine(currentID))
        listenThrough = listening
        // Lines without a take are left out of it: said, as one being made is otherwise missed without a word.
        let missing = (editor.line..<planner.lineCount).filter { !planner.saysNothing(line: $0) && planner.takes(line: $0).current == nil }
        if let first = missing.first {
            let made = missing.filter { queue.state(.line(editor.lines[$0].id))?.isActive == true }
            say((missing.count == 1 ? "Line \(first + 1) has" : "Lines \(lineNumbers(missing)) have") + " no take yet and "
                + (missing.count == 1 ? "is" : "are") + " left out of what plays"
                + (made.isEmpty ? "." : "; \(made.count == missing.count && made.count > 1 ? "they are" : made.count == 1 ? "line \(made[0] + 1) is" : "\(made.count) are") being made."),
                .dim, seconds: 6)
        }
    }
}
