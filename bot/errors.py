"""Errors that stop Waymark with one clear line instead of a traceback."""


class StartupError(Exception):
    """A setting, key or database problem found at start; the CLI prints it on one line."""
