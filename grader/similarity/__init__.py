"""The similarity hint for session leaders: pairs of students whose filled-in code is unusually
alike (fingerprints.py → compare.py; collect.py reads the notebooks, report.py writes
similarity.csv/.html). Never a score change, never in student feedback."""
