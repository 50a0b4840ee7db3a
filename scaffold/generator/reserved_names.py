"""Project names that pass the name pattern but that a blueprint's toolchain reserves.

The name becomes the Go module path (echo, gin), the npm package name (express), the stack and
image name of every blueprint, and `update` may switch a project to another framework: so one
list holds for all blueprints, and a name refused here is refused for every framework.

The Flask blueprint uses the name in comments only (its module is `app`), so Python's standard
library needs no entry. Names that YAML 1.1 reads as booleans or null (`true`, `no`, `on`,
`null`, `y`) stay valid: the blueprints quote every answer that lands in YAML.
"""

from __future__ import annotations

from typing import Final, NamedTuple


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The first element of every import path in Go's standard library (`go list std`, plus the
# `builtin` documentation package and the `arena` and `simd` experiments): a module of that name
# makes `go build` see the package twice ("ambiguous import").
GO_STD: Final = _words(
    "archive arena bufio builtin bytes cmp compress container context crypto database debug "
    "embed encoding errors expvar flag fmt go hash html image index internal io iter log "
    "maps math mime net os path plugin reflect regexp runtime simd slices sort strconv "
    "strings structs sync syscall testing text time unicode unique unsafe vendor weak"
)
# Words the go command gives a meaning of its own: package patterns (`all`, `std`, `cmd`,
# `tool`, `work`), `go` and `toolchain` (refused as module paths), `main` (`go test` cannot import
# a package whose path is main).
GO_COMMAND: Final = _words("all cmd go main std tool toolchain work")
# Go's keywords: `go test` of a module named `type` stops with an internal compiler error.
GO_KEYWORDS: Final = _words(
    "break case chan const continue default defer else fallthrough for func go goto if "
    "import interface map package range return select struct switch type var"
)
# Device names of Windows, which Go refuses as module path elements (and no Windows user can
# check such a folder out).
WINDOWS_DEVICES: Final = frozenset(
    ["con", "prn", "aux", "nul"]
    + [f"com{digit}" for digit in range(1, 10)]
    + [f"lpt{digit}" for digit in range(1, 10)]
)
# Node.js core modules (require('module').builtinModules) that fit the name pattern: npm refuses
# new packages named after them.
NODE_CORE: Final = _words(
    "assert buffer cluster console constants crypto dgram dns domain events fs http http2 "
    "https inspector module net os path process punycode querystring readline repl stream "
    "sys timers tls tty url util v8 vm wasi zlib"
)


class Reservation(NamedTuple):
    """Why a name is reserved: the toolchain that reserves it and what would break."""

    owner: str
    reason: str


_RESERVATIONS: Final = (
    (GO_COMMAND, Reservation("the go command", "the Go module path would not build or test")),
    (GO_STD, Reservation("Go's standard library", "`go build` would find the package twice")),
    (GO_KEYWORDS, Reservation("Go as a keyword", "the Go module would not build or test")),
    (WINDOWS_DEVICES, Reservation("Windows as a device name", "Go refuses it as a module path")),
    (NODE_CORE, Reservation("Node.js as a core module", "npm refuses it as a package name")),
)

RESERVED: Final = frozenset(name for names, _ in _RESERVATIONS for name in names)


def reservation(name: str) -> Reservation | None:
    """Return why name is reserved by a blueprint's toolchain, or None when it is free."""
    for names, why in _RESERVATIONS:
        if name in names:
            return why
    return None
