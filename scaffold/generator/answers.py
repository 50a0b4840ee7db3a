"""Read a project's copier answers file (and a template's copier.yml), record its template."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

import yaml

from scaffold.errors import AnswersFileError

SOURCE_KEY: Final = "_src_path"
COMMIT_KEY: Final = "_commit"
_WIDE: Final = 10_000  # never fold a long URL or path onto a second line


def load(path: Path) -> dict[str, Any]:
    """Return the answers recorded in path.

    Raises:
        AnswersFileError: The file is unreadable or not a YAML mapping.
    """
    hint = f"restore it from git, e.g. `git checkout -- {path.name}`"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise AnswersFileError(f"{path} cannot be read: {err}", hint=hint) from err
    if not isinstance(data, dict):
        raise AnswersFileError(f"{path} does not hold copier answers", hint=hint)
    return data


def parse_mapping(text: str, label: str) -> dict[str, Any]:
    """Return the YAML mapping in text (a template's copier.yml); label names it in errors.

    Raises:
        AnswersFileError: text is not YAML, or not a mapping.
    """
    hint = "check that the source is a lambda-scaffold template repository"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise AnswersFileError(f"{label} cannot be read: {err}", hint=hint) from err
    if not isinstance(data, dict):
        raise AnswersFileError(f"{label} does not hold copier questions", hint=hint)
    return data


def record_source(path: Path, source: str, commit: str | None) -> None:
    """Point the answers file at source and commit, keeping every other line as it is.

    A ``None`` commit (a development build, which matches no release tag) removes ``_commit``:
    the file then names the repository but no version, and an update says so.
    """
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith((f"{SOURCE_KEY}:", f"{COMMIT_KEY}:"))]
    first_answer = next(
        (i for i, line in enumerate(kept) if line.strip() and not line.startswith("#")),
        len(kept),
    )
    recorded = {COMMIT_KEY: commit} if commit is not None else {}
    recorded[SOURCE_KEY] = source
    block = yaml.safe_dump(recorded, sort_keys=False, width=_WIDE, allow_unicode=True)
    kept[first_answer:first_answer] = block.splitlines(keepends=True)
    path.write_text("".join(kept), encoding="utf-8")
