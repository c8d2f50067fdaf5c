"""foundermode: engineering leadership from the code, not from status reports."""

__version__ = "0.1.0"
