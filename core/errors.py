"""The error every shell command reports as one line (exit 1), shared by the verbs' modules."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or state the user can fix: printed as one line, exit 1."""
