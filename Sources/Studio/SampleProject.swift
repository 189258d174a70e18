import Foundation

/// The project `higgs` opens when no file is given and `untitled.higgs` does not exist yet in the current
/// folder: a short late-night radio scene with four cast voices from `Voices/profile.yaml`, event tags and a
/// Mandarin line. Its text is built into the binary, so the first screen has a script anywhere; its voices are
/// the sample profiles of the voices folder `StudioFolders` finds (the cast panel names any it lacks).
public enum SampleProject {
    /// The file name a new project is saved as.
    public static let fileName = "untitled.higgs"

    public static let text = """
        scene: late_night_radio

        cast:
          Mara: profile:warm_host
          Theo: profile:scottish_lad
          Ines: profile:french_chef
          Lin: profile:mandarin_host

        settings:
          temperature: 0.7
          top-k: 50
          top-p: 0.95
          ras-window: 7
          ras-repeats: 2
          seed: 42
          chunk-buffer: 2
          max-new-tokens: 2048
          gap: 0.4
          trim: on
          loudness: off
          mp3: off
          audiobook: off
          runaway-stop: on
          fit-cues: off

        script:
        [Mara] Good evening, night owls, and welcome back to The Small Hours.
        [Mara] Tonight we are talking about the food that got you through the week.
        [Theo] Mine was toast. [laugh] I'm not proud of it, but it was excellent toast.
        [Ines] Toast is a canvas, Theo! A little butter, a pinch of salt, a tomato rubbed on top. Voilà.
        [Lin] 我最喜欢外婆做的葱油饼，又香又脆。
        [Mara] Scallion pancakes at two in the morning. Now I'm hungry.
        [Theo] Don't worry, I'll make you toast.

        """

    public static var project: Project {
        // The text above is canonical and tested; a failure here is a bug in the studio, not user input.
        (try? ProjectFormat.parse(text, file: "sample")) ?? Project()
    }
}
