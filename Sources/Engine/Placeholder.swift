// The pipeline from script to PCM lands here.
