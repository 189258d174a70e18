// The studio's document, takes, queue and export land here.
