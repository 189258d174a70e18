import AudioIO
import Foundation
import Prompt

/// What is in a clip's files, beyond their being there (which `VoiceLibrary.problems` covers): reading
/// every clip's audio is left to the lists that show it.
extension VoiceLibrary {
    /// A clip as a list shows it: its length (nil when the audio does not read), its transcript on one line,
    /// and what would make it a poor voice or none, each naming the file.
    public struct ClipCheck: Equatable, Sendable {
        public var seconds: Double?
        public var transcript: String
        public var problems: [String]
    }

    /// Reads the clip's files: audio that does not read (and why), no sound in it, a length outside what
    /// works well (`lengthAdvice`), a rate too low to carry the voice (`sampleRateAdvice`), a transcript that is empty or on more than one line.
    public func check(clip name: String) -> ClipCheck {
        var problems: [String] = []
        var seconds: Double?
        let audioURL = clipAudio(name)
        do {
            let audio = try WAVFile.read(audioURL)
            seconds = audio.duration
            try Self.checkSound(audio.samples, sampleRate: audio.sampleRate, source: audioURL.path)
            if let advice = Self.lengthAdvice(seconds: audio.duration) {
                problems.append("\(audioURL.path): \(String(format: "%.1f", audio.duration)) s, \(advice)")
            }
            if let advice = Self.sampleRateAdvice(audio.sampleRate) { problems.append("\(audioURL.path): \(advice)") }
        } catch {
            problems.append("\(error)")
        }
        let textURL = folder.appendingPathComponent("\(name).txt")
        var transcript = ""
        if let stripped = try? clipTranscript(name) {
            transcript = Self.oneLine(stripped)
            let lines = stripped.split(whereSeparator: \.isNewline).count
            if transcript.isEmpty {
                problems.append("\(textURL.path): empty; it holds what is said in the clip, which the model reads with it")
            } else if lines > 1 {
                // The model is given the file as it is, breaks and all; every other transcript is one line.
                problems.append("\(textURL.path): \(lines) lines; a clip's transcript is one line (join them)")
            }
            if let problem = ControlTokens.problem(in: stripped, textURL.path) { problems.append(problem) }
        } else {
            problems.append("\(textURL.path): cannot read the transcript (or it is not UTF-8 text)")
        }
        return ClipCheck(seconds: seconds, transcript: transcript, problems: problems)
    }
}

extension VoiceLibrary {
    /// Why a voice's text cannot go into a prompt: a clip's transcript or a profile's description that holds one
    /// of the model's control tokens (pasted with it from elsewhere), which would act there rather than be read.
    public func controlTokenProblem(of voice: ResolvedVoice) -> String? {
        switch voice {
        case .automatic:
            return nil
        case .clip(let name, _, let transcript):
            return ControlTokens.problem(in: transcript, folder.appendingPathComponent("\(name).txt").path)
        case .profile(let name, let description):
            return ControlTokens.problem(in: description, "profile '\(name)' in \(folder.appendingPathComponent("profile.yaml").path)")
        }
    }
}
