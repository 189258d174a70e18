import Foundation

/// One message of the ChatML conversation the model reads.
public struct ChatMessage: Equatable, Sendable {
    public enum Role: String, Sendable { case system, user, assistant }

    public enum Part: Equatable, Sendable {
        case text(String)
        /// Audio given by codes; in user and system messages it is input audio (`<|AUDIO|>`), in
        /// assistant messages output audio (`<|AUDIO_OUT|>`).
        case audio(AudioReference)
    }

    public var role: Role
    public var parts: [Part]

    public init(_ role: Role, _ parts: [Part]) {
        self.role = role
        self.parts = parts
    }

    public init(_ role: Role, text: String) {
        self.init(role, [.text(text)])
    }
}

/// Which audio an audio part stands for: a reference voice's clip, or an earlier generated chunk
/// (by its index among the chunks given as context).
public enum AudioReference: Equatable, Hashable, Sendable {
    case voice(String)
    case generated(Int)
}

/// The part of the prompt that every chunk shares: the system message (scene, speaker descriptions)
/// and the reference voices, built as the reference CLI's `prepare_generation_context` builds them.
public struct GenerationContext: Equatable, Sendable {
    public let messages: [ChatMessage]
    /// The clips whose codes the prompt needs, in the order their audio appears.
    public let clips: [String]
    /// The voices it was built from.
    public let voices: [ResolvedVoice]

    static let instruction = "Generate audio following instruction."
    static let multiSpeakerInstruction = """
        You are an AI assistant designed to convert text into speech.
        If the user's message includes a [SPEAKER*] tag, do not read out the tag and generate speech for the following text, using the specified voice.
        If no speaker tag is present, select a suitable voice on your own.
        """

    /// - Parameters:
    ///   - scene: the scene description, if any.
    ///   - voices: the voice of `SPEAKERi` at index `i` (the CLI's `--ref-audio` list, resolved); empty for
    ///     none. Speakers left automatic in a cast with other voices get no description: the model picks.
    ///   - speakerTags: the transcript's `SPEAKERn` tags (`Transcript.speakerTags`).
    ///   - referenceAudioInSystemMessage: put clips in the system message rather than as turns (forced
    ///     when any voice is a profile, as in the reference).
    public init(scene: String?, voices: [ResolvedVoice], speakerTags: [String], referenceAudioInSystemMessage: Bool = false) {
        var messages: [ChatMessage] = []
        var clips: [String] = []
        let scene = scene.flatMap { $0.isEmpty ? nil : $0 }
        if voices.contains(where: { $0 != .automatic }) {
            let inSystem = referenceAudioInSystemMessage || voices.contains { if case .profile = $0 { return true } else { return false } }
            if inSystem {
                // Speaker lines, with each clip's audio at its place in the text.
                var parts: [ChatMessage.Part] = []
                var text = Self.instruction + "\n\n<|scene_desc_start|>\n" + (scene.map { $0 + "\n\n" } ?? "")
                var first = true
                for (i, voice) in voices.enumerated() {
                    switch voice {
                    case .automatic:
                        continue
                    case .profile(_, let description):
                        text += (first ? "" : "\n") + "SPEAKER\(i): \(description)"
                    case .clip(let name, _, _):
                        text += (first ? "" : "\n") + "SPEAKER\(i): "
                        parts.append(.text(text))
                        parts.append(.audio(.voice(name)))
                        clips.append(name)
                        text = ""
                    }
                    first = false
                }
                text += "\n<|scene_desc_end|>"
                parts.append(.text(text))
                messages.append(ChatMessage(.system, parts))
            } else if let scene {
                messages.append(ChatMessage(.system, text: Self.instruction + "\n\n<|scene_desc_start|>\n\(scene)\n<|scene_desc_end|>"))
            }
            let several = voices.count > 1
            for (i, voice) in voices.enumerated() {
                guard case .clip(let name, _, let transcript) = voice, !inSystem else { continue }
                messages.append(ChatMessage(.user, text: several ? "[SPEAKER\(i)] \(transcript)" : transcript))
                messages.append(ChatMessage(.assistant, [.audio(.voice(name))]))
                clips.append(name)
            }
        } else if speakerTags.count > 1 {
            // No voices and several speakers: alternate feminine and masculine voices by tag order.
            let speakers = speakerTags.enumerated().map { "\($1): \($0 % 2 == 0 ? "feminine" : "masculine")" }
            let description = (scene.map { [$0] } ?? []) + [speakers.joined(separator: "\n")]
            messages.append(ChatMessage(.system, text: Self.multiSpeakerInstruction
                + "\n\n<|scene_desc_start|>\n" + description.joined(separator: "\n\n") + "\n<|scene_desc_end|>"))
        } else {
            let lines = [Self.instruction] + (scene.map { ["<|scene_desc_start|>\n\($0)\n<|scene_desc_end|>"] } ?? [])
            messages.append(ChatMessage(.system, text: lines.joined(separator: "\n\n")))
        }
        self.messages = messages
        self.clips = clips
        self.voices = voices
    }

    /// The conversation for generating `chunk` after the given earlier chunks (their texts, oldest
    /// first, already cut to the generation buffer): each earlier chunk is a user turn with its text and
    /// an assistant turn with its audio (`.generated(i)`), then the new chunk as a user turn.
    public func messages(forChunk chunk: String, after previous: [String]) -> [ChatMessage] {
        var all = messages
        for (i, text) in previous.enumerated() {
            all.append(ChatMessage(.user, text: text))
            all.append(ChatMessage(.assistant, [.audio(.generated(i))]))
        }
        all.append(ChatMessage(.user, text: chunk))
        return all
    }
}
