// Streaming ALSA playback lands here.
