// Transcript normalisation, chunking and ChatML prompt building land here.
