"""Week 2's TensorFlow Playground task, one vocabulary (`vocabulary`) shared by:

- `reader`: OCR of a Playground screenshot and the check built on it (generic OCR: `grader.ocr`);
- `simulator`: a PyTorch port of Playground (re-runs a read setting, a leader-only diagnostic);
- `render`: draws Playground-like pages (the demo cohort, tests, benchmarks).
"""
