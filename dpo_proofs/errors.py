"""One exception tree for the package, split by meaning.

Bad user input subclasses a built-in too (``ValueError``, ``LookupError``) so that
callers who do not know this package still catch it; the CLI turns every
``DpoProofsError`` into a one-line message and a non-zero exit code in one place.
"""
from __future__ import annotations

__all__ = [
    "DpoProofsError",
    "InvalidArgument",
    "UnknownVariant",
    "UnsafeExpression",
    "NotALoss",
    "DerivationTimeout",
    "ImplementationError",
    "Terminated",
]


class DpoProofsError(Exception):
    """Base class of every error this package raises on purpose."""


class InvalidArgument(DpoProofsError, ValueError):
    """A value outside its domain (beta <= 0, a probability outside (0, 1], ...)."""


class UnknownVariant(DpoProofsError, LookupError):
    """A variant name that is not in the catalogue."""

    def __str__(self) -> str:  # LookupError would quote the message
        return str(self.args[0]) if self.args else "unknown variant"


class UnsafeExpression(InvalidArgument):
    """A user expression refused by the safe parser (names the offending part)."""


class NotALoss(InvalidArgument):
    """An expression that parses but is not a loss of (x1, x2) on the domain."""


class DerivationTimeout(DpoProofsError, TimeoutError):
    """A symbolic step exceeded its time budget."""


class ImplementationError(InvalidArgument):
    """A user's implementation (check-impl) that cannot be run: a module that does not
    load, a function with the wrong signature, one that raises, exits, or returns
    something other than real numbers. ``kind`` is the name of the exception it raised."""

    def __init__(self, message: str, kind: str = ""):
        super().__init__(message)
        self.kind = kind


class Terminated(SystemExit):
    """Raised by the CLI's SIGTERM handler so that ``finally`` blocks (temporary files,
    LaTeX build directories) run; never caught as a user's own ``sys.exit``."""
