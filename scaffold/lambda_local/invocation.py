"""The core of ``lambda-scaffold invoke``: curl-like arguments in, a Function URL event out."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from scaffold.errors import InvalidEventError
from scaffold.lambda_local.events import Event, Header, build_event, load_event


def parse_header(text: str) -> Header:
    """Split ``'Name: value'`` into a pair.

    Raises:
        InvalidEventError: There is no colon or no name.
    """
    name, colon, value = text.partition(":")
    if not colon or not name.strip() or any(c.isspace() for c in name.strip()):
        raise InvalidEventError(
            f"the header {text!r} is not 'Name: value'",
            hint="write e.g. -H 'Accept: application/json'",
        )
    return name.strip(), value.strip()


def read_data(data: str) -> bytes:
    """Return the body of ``-d``: the text itself, ``@FILE``'s bytes, or stdin for ``@-``.

    Raises:
        InvalidEventError: The file cannot be read.
    """
    if not data.startswith("@"):
        return data.encode("utf-8")
    if data == "@-":
        return sys.stdin.buffer.read()
    path = Path(data[1:])
    try:
        return path.read_bytes()
    except OSError as err:
        raise InvalidEventError(
            f"cannot read the body file {path}: {err.strerror or err}",
            hint="pass -d @FILE with an existing file, or -d 'text'",
        ) from err


def guess_content_type(body: bytes) -> str:
    """Pick a Content-Type for a body given without one: JSON, UTF-8 text, else binary."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    try:
        json.loads(text)
    except ValueError:
        return "text/plain; charset=utf-8"
    return "application/json"


def split_target(target: Sequence[str], *, has_body: bool) -> tuple[str, str]:
    """Resolve ``[METHOD] PATH``: GET by default, POST when a body is given.

    Raises:
        InvalidEventError: No path, too many words, or a method that is not a word.
    """
    if not target:
        raise InvalidEventError(
            "no PATH was given", hint="e.g. `lambda-scaffold invoke /echo?x=1`, or --event FILE"
        )
    if len(target) > 2:
        raise InvalidEventError(
            f"expected [METHOD] PATH, got {' '.join(target)!r}",
            hint="quote a path that holds spaces or shell characters: '/echo?a=1&b=2'",
        )
    if len(target) == 1:
        return ("POST" if has_body else "GET"), target[0]
    method, path = target
    if not method.isalpha():
        raise InvalidEventError(
            f"{method!r} is not an HTTP method",
            hint="use `invoke [METHOD] PATH`, e.g. `invoke PUT /echo`",
        )
    return method.upper(), path


def event_from_args(
    target: Sequence[str],
    *,
    headers: Sequence[str] = (),
    data: str | None = None,
    event_file: Path | None = None,
    user_agent: str = "lambda-scaffold",
) -> Event:
    """Build the event ``invoke`` sends: from ``--event FILE`` or from METHOD, PATH, -H and -d.

    Raises:
        InvalidEventError: Conflicting or malformed arguments, or a bad event file.
    """
    if event_file is not None:
        if target or headers or data is not None:
            raise InvalidEventError(
                "--event sends the file as it is: METHOD, PATH, -H and -d "
                "cannot be combined with it",
                hint="edit the event file, or drop --event",
            )
        return load_event(event_file)
    body = read_data(data) if data is not None else b""
    method, path = split_target(target, has_body=data is not None)
    pairs = [parse_header(text) for text in headers]
    names = {name.lower() for name, _ in pairs}
    if "user-agent" not in names:
        pairs.append(("User-Agent", user_agent))
    if data is not None and "content-type" not in names:
        pairs.append(("Content-Type", guess_content_type(body)))
    return build_event(method, path, pairs, body)
