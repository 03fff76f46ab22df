"""Check stage: compare what the probes returned with the references, and score."""
