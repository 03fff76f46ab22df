"""The session leader's desk: overrides, extensions and the review queue."""
