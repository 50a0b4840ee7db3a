"""The version of lambda-scaffold: the one place it is written (pyproject.toml reads it here).

A plain constant rather than a package-metadata lookup, so `--version` costs no file search.
"""

from __future__ import annotations

__version__ = "0.1.0"
