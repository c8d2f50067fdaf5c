"""Fuzzing the parsers of hostile input (issue 16): ``python -m foundermode.fuzz --help``."""
