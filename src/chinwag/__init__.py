"""chinwag: a multi-user chat server and terminal client."""

__version__ = "0.1.0"
