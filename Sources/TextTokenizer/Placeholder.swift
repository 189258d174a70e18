// The byte-level BPE tokenizer of tokenizer.json lands here.
