"""Assignment packs: one sub-package per assignment (`assignments.<id>`), loaded by `grader.pack`."""
