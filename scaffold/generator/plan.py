"""Turn a draft of answers into a complete, validated ProjectRequest, question by question."""

from __future__ import annotations

from pathlib import Path

from scaffold.generator.models import ProjectRequest, RequestDraft, Value
from scaffold.generator.questions import QUESTIONS
from scaffold.generator.staging import absolute


def build_request(draft: RequestDraft) -> ProjectRequest:
    """Check every given answer, give the others their defaults, and decide the destination.

    Without a destination the project goes to ``./<name>``; without a name it is derived from
    the destination's folder name.

    Raises:
        InvalidAnswerError: An answer breaks a rule.
        MissingAnswerError: Neither a destination nor a name was given.
    """
    answers: dict[str, Value] = {}
    for question in QUESTIONS:
        given = draft.given.get(question.name)
        if given is None:
            answers[question.name] = question.default(answers, draft.destination)
        else:
            answers[question.name] = question.parse(given)
    destination = draft.destination
    if destination is None:
        destination = absolute(Path(str(answers["name"])))
    return ProjectRequest(destination=destination, **answers)  # type: ignore[arg-type]


def check_request(request: ProjectRequest) -> None:
    """Re-check a request built by library code rather than by build_request.

    Raises:
        InvalidAnswerError: An answer breaks a rule.
    """
    answers = request.answers()
    for question in QUESTIONS:
        question.parse(answers[question.name])
