// The audio tokenizer (codes <-> 24 kHz PCM) lands here.
