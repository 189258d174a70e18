import CALSA
import Foundation

/// ALSA's configuration (alsa.conf and the user's files) with one more file read over it, in asoundrc
/// syntax: devices defined there open by name without editing ~/.asoundrc or setting ALSA_CONFIG_PATH
/// (changing the environment of a running program races with anything starting a process).
enum DeviceConfiguration {
    /// Opens `device` for `stream` (playback or capture) with `file` read over the global configuration.
    static func open(_ device: String, adding file: URL, stream: snd_pcm_stream_t, mode: Int32) throws -> OpaquePointer {
        var global: OpaquePointer?
        var err = snd_config_update_ref(&global)
        guard err >= 0, let global else { throw problem(device, file, err) }
        var tree: OpaquePointer?
        err = snd_config_copy(&tree, global)
        snd_config_unref(global)
        guard err >= 0, let tree else { throw problem(device, file, err) }
        // The tree only guides the opening; the device keeps nothing of it.
        defer { snd_config_delete(tree) }
        var input: OpaquePointer?
        err = snd_input_stdio_open(&input, file.path, "r")
        guard err >= 0, let input else { throw problem(device, file, err) }
        err = snd_config_load(tree, input)
        snd_input_close(input)
        guard err >= 0 else { throw problem(device, file, err) }
        var pcm: OpaquePointer?
        err = snd_pcm_open_lconf(&pcm, device, stream, mode, tree)
        guard err >= 0, let pcm else { throw AudioPlayer.openingError(device, err) }
        return pcm
    }

    private static func problem(_ device: String, _ file: URL, _ err: Int32) -> PlaybackError {
        PlaybackError(device: device, "configuration \(file.path): \(String(cString: snd_strerror(err)))")
    }
}
