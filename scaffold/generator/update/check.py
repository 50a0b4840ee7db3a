"""`lambda-scaffold update --check`: is a newer template release out, and what do its pins change?

Reads the project's answers file and the template's tags (the installed release bundle, the
recorded source, --template or the LAMBDA_SCAFFOLD_TEMPLATE_REPO mirror), and each release's
copier.yml from a temporary bare repository. Nothing in the project is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaffold.errors import AnswersFileError, RenderError
from scaffold.generator import answers, pins, releases
from scaffold.generator.template_source import TEMPLATE_CONFIG
from scaffold.generator.update import source as update_source
from scaffold.generator.update.run import answers_path

Change = tuple[str | None, str | None]


@dataclass(frozen=True)
class CheckResult:
    """The project's template release, the newest one, and the pins that differ between them."""

    project: Path
    source: str
    current: str
    newest: str
    pins: dict[str, Change] = field(default_factory=dict)

    @property
    def update_available(self) -> bool:
        """Whether newest is a later release than current."""
        now, top = releases.version_of(self.current), releases.version_of(self.newest)
        return now is not None and top is not None and top > now

    def as_json(self) -> dict[str, Any]:
        """The result as `update --check --json` prints it."""
        return {
            "project": str(self.project),
            "current": self.current,
            "newest": self.newest,
            "update_available": self.update_available,
            "pins": {name: {"from": old, "to": new} for name, (old, new) in self.pins.items()},
            "source": self.source,
        }


def check_project(project: Path, *, template: str | None = None) -> CheckResult:
    """Tell whether a newer template release than the project's exists, without changing it.

    Args:
        project: The project folder (it holds .copier-answers.yml).
        template: List the releases of this template source instead of the recorded one.

    Raises:
        NotAProjectError: project is missing or has no answers file.
        AnswersFileError: the answers file is unreadable, or names no source or no release.
        RenderError: the source is missing, unreachable, or has no release tags.
    """
    project = project.expanduser().resolve()
    recorded = answers.load(answers_path(project))
    current = _current(recorded)
    chosen = update_source.resolve(recorded.get(answers.SOURCE_KEY), template)
    source = chosen.read if chosen.read is not None else _recorded_source(recorded)
    tags = releases.release_tags(source)
    on_prerelease = (version := releases.version_of(current)) is not None and version.is_prerelease
    newest = releases.newest(tags, prereleases=on_prerelease)
    if newest is None:
        raise RenderError(
            f"the template {source} has no release tags (v1.2.0 and the like)",
            hint="check the source with `git ls-remote --tags <source>`, or pass another with "
            "--template SRC",
        )
    result = CheckResult(project=project, source=source, current=current, newest=newest)
    if not result.update_available:
        return result
    known = [tag for tag in (current, newest) if tag in tags]
    texts = releases.read_at(source, known, TEMPLATE_CONFIG)
    if current not in texts:
        return result
    old = pins.pins(texts[current], f"{TEMPLATE_CONFIG} at {current}")
    new = pins.pins(texts[newest], f"{TEMPLATE_CONFIG} at {newest}")
    return CheckResult(project, source, current, newest, pins.changes(old, new))


def _current(recorded: dict[str, Any]) -> str:
    commit = recorded.get(answers.COMMIT_KEY)
    if not isinstance(commit, str) or releases.version_of(commit) is None:
        raise AnswersFileError(
            f"the answers file records no template release ({answers.COMMIT_KEY}: "
            f"{commit if isinstance(commit, str) else 'missing'})",
            hint=f"add `{answers.COMMIT_KEY}: vX.Y.Z` (the release the project was made from) "
            "and commit, then check again",
        )
    return commit


def _recorded_source(recorded: dict[str, Any]) -> str:
    source = recorded.get(answers.SOURCE_KEY)
    if not isinstance(source, str) or not source.strip():
        raise AnswersFileError(
            f"the answers file does not name the template it was made from ({answers.SOURCE_KEY})",
            hint=f"add `{answers.SOURCE_KEY}: <the template's git URL or folder>`, "
            "or pass the template with --template SRC",
        )
    if not releases.is_readable(source):
        raise RenderError(
            f"the template {source} named in the answers file does not exist",
            hint="pass the template's git URL or a local clone with --template SRC",
        )
    return source
