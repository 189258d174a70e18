// Delay pattern, sampling and the streaming generator land here.
