"""The only questionary user: ask, on a terminal, for the answers the flags did not give.

Every question comes from :data:`scaffold.generator.questions.QUESTIONS`, asked in its order
and kind; the answers are checked by the question's own ``parse``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import questionary

from scaffold.errors import InvalidAnswerError, ScaffoldError
from scaffold.generator.models import RequestDraft, Value
from scaffold.generator.questions import QUESTIONS, Kind, Question

FALLBACK_NAME: Final = "my-lambda-app"


def complete(draft: RequestDraft, **io: Any) -> RequestDraft:
    """Ask for every answer missing from draft and return the completed draft.

    Args:
        draft: The answers given by flags; a missing question is asked.
        **io: Passed to prompt_toolkit (``input``/``output``), for tests.

    Raises:
        KeyboardInterrupt: The user pressed Ctrl-C.
    """
    for question in QUESTIONS:
        if draft.given.get(question.name) is None:
            draft = draft.answer(question.name, ask(question, draft, **io))
    return draft


def ask(question: Question, draft: RequestDraft, **io: Any) -> Value:
    """Ask one question, offering its default for the answers so far."""
    default = _default(question, draft)
    if question.kind is Kind.SELECT:
        choices = [questionary.Choice(c.label, value=c.value) for c in question.choices()]
        selected: str = questionary.select(
            question.prompt, choices=choices, default=_selected(choices, default), **io
        ).unsafe_ask()
        return selected
    if question.kind is Kind.CONFIRM:
        confirmed: bool = questionary.confirm(
            question.prompt, default=bool(default), instruction=question.instruction, **io
        ).unsafe_ask()
        return confirmed
    text: str = questionary.text(
        question.prompt,
        default=str(default),
        validate=_validator(question.parse),
        instruction=question.instruction,
        **io,
    ).unsafe_ask()
    return question.parse(text.strip())


def _default(question: Question, draft: RequestDraft) -> Value:
    """The question's default given the answers so far; the fallback name if none derives."""
    given = {name: value for name, value in draft.given.items() if value is not None}
    answers = {q.name: q.parse(given[q.name]) for q in QUESTIONS if q.name in given}
    try:
        return question.default(answers, draft.destination)
    except ScaffoldError:
        return FALLBACK_NAME


def _selected(choices: list[questionary.Choice], default: Value) -> questionary.Choice | None:
    return next((choice for choice in choices if choice.value == str(default)), None)


def _validator(check: Callable[[Value], object]) -> Callable[[str], bool | str]:
    def validate(text: str) -> bool | str:
        try:
            check(text.strip())
        except InvalidAnswerError as err:
            return f"{err.message} - {err.hint}" if err.hint else err.message
        return True

    return validate
