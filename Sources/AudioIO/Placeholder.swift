// WAV reading/writing and resampling land here.
