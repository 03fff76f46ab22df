"""KUBIG assignment grader: intake → execute → check → report."""

__version__ = "0.1.0"
