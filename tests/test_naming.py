from __future__ import annotations

from pathlib import Path

import pytest

from scaffold.errors import InvalidAnswerError
from scaffold.generator import naming, reserved_names
from scaffold.generator.frameworks import Framework
from scaffold.generator.models import Architecture, AuthType

VALID_NAMES = ["a", "demo", "orders-api", "a1", "x" * 40, "api-v2", "z9-8-7"]
# YAML 1.1 booleans and null: valid, as the blueprints quote them wherever they land in YAML;
# and names next to reserved ones.
VALID_NAMES += ["true", "false", "null", "yes", "no", "on", "off", "y", "n"]
VALID_NAMES += ["fmt-app", "go1", "gopher", "test", "example", "c", "com0", "con-x", "https-api"]
INVALID_NAMES = [
    "",
    "Demo",
    "1app",
    "-app",
    "app-",
    "my--app",
    "my_app",
    "my app",
    "x" * 41,
    "../escape",
    "app/x",
    "café",
    "app.",
    "UPPER",
]


@pytest.mark.parametrize("name", VALID_NAMES)
def test_valid_names(name: str) -> None:
    assert naming.validate_name(name) == name


@pytest.mark.parametrize("name", INVALID_NAMES)
def test_invalid_names_name_the_fix(name: str) -> None:
    with pytest.raises(InvalidAnswerError) as info:
        naming.validate_name(name)
    assert info.value.hint
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("name", "owner"),
    [
        ("go", "the go command"),
        ("std", "the go command"),
        ("cmd", "the go command"),
        ("all", "the go command"),
        ("main", "the go command"),
        ("toolchain", "the go command"),
        ("fmt", "Go's standard library"),
        ("net", "Go's standard library"),
        ("time", "Go's standard library"),
        ("builtin", "Go's standard library"),
        ("type", "Go as a keyword"),
        ("func", "Go as a keyword"),
        ("con", "Windows as a device name"),
        ("com9", "Windows as a device name"),
        ("http", "Node.js as a core module"),
        ("fs", "Node.js as a core module"),
        ("zlib", "Node.js as a core module"),
    ],
)
def test_reserved_names_say_who_reserves_them(name: str, owner: str) -> None:
    with pytest.raises(InvalidAnswerError) as info:
        naming.validate_name(name)
    assert f"reserved by {owner}" in info.value.message
    assert info.value.hint == f"pick another, e.g. --name {name}-app"
    assert naming.validate_name(f"{name}-app") == f"{name}-app"
    assert info.value.exit_code == 2


def test_every_reserved_name_is_refused() -> None:
    assert len(reserved_names.RESERVED) > 100
    for name in sorted(reserved_names.RESERVED):
        assert naming.NAME_PATTERN.match(name), name
        with pytest.raises(InvalidAnswerError, match="reserved by"):
            naming.validate_name(name)


@pytest.mark.parametrize("port", [1024, 8000, 8081, 9000, 65535, "8000", " 8001 "])
def test_valid_ports(port: int | str) -> None:
    assert naming.validate_port(port) == int(port)


@pytest.mark.parametrize(
    ("port", "words"),
    [
        (80, "1024-65535"),
        (1023, "1024-65535"),
        (65536, "1024-65535"),
        (0, "1024-65535"),
        (3000, "Lambda Insights"),
        (8080, "Runtime Interface Emulator"),
        (9001, "Runtime API"),
        ("http", "whole number"),
        ("80.5", "whole number"),
        ("", "whole number"),
    ],
)
def test_refused_ports_say_why(port: int | str, words: str) -> None:
    with pytest.raises(InvalidAnswerError, match=words):
        naming.validate_port(port)


@pytest.mark.parametrize(
    ("value", "ok"), [(128, True), (10240, True), (127, False), (10241, False), ("512", True)]
)
def test_memory_range(value: int | str, ok: bool) -> None:
    if ok:
        assert naming.validate_memory(value) == int(value)
    else:
        with pytest.raises(InvalidAnswerError, match="128-10240"):
            naming.validate_memory(value)


@pytest.mark.parametrize(("value", "ok"), [(1, True), (900, True), (0, False), (901, False)])
def test_timeout_range(value: int, ok: bool) -> None:
    if ok:
        assert naming.validate_timeout(value) == value
    else:
        with pytest.raises(InvalidAnswerError, match="1-900"):
            naming.validate_timeout(value)


def test_framework_did_you_mean() -> None:
    with pytest.raises(InvalidAnswerError) as info:
        naming.parse_framework("flsk")
    assert "did you mean --framework flask" in info.value.hint
    assert naming.parse_framework("GIN") is Framework.GIN


def test_unknown_framework_lists_choices() -> None:
    with pytest.raises(InvalidAnswerError) as info:
        naming.parse_framework("rails")
    assert "echo, gin, flask, express" in info.value.hint


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("x86_64", Architecture.X86_64),
        ("amd64", Architecture.X86_64),
        ("arm64", Architecture.ARM64),
        ("aarch64", Architecture.ARM64),
    ],
)
def test_arch_aliases(value: str, expected: Architecture) -> None:
    assert naming.parse_arch(value) is expected


def test_auth_values() -> None:
    assert naming.parse_auth("aws_iam") is AuthType.AWS_IAM
    assert naming.parse_auth("NONE") is AuthType.NONE
    with pytest.raises(InvalidAnswerError, match="unknown auth type"):
        naming.parse_auth("cognito")


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("Orders API", "orders-api"),
        ("my_app", "my-app"),
        ("demo", "demo"),
        ("2024-report", "report"),
    ],
)
def test_name_from_destination(tmp_path: Path, folder: str, expected: str) -> None:
    assert naming.name_from_destination(tmp_path / folder) == expected


def test_name_from_a_reserved_folder_name(tmp_path: Path) -> None:
    with pytest.raises(InvalidAnswerError) as info:
        naming.name_from_destination(tmp_path / "Net")
    assert "'net'" in info.value.message
    assert "--name net-app" in info.value.hint


def test_name_from_unusable_folder(tmp_path: Path) -> None:
    with pytest.raises(InvalidAnswerError, match="--name"):
        naming.name_from_destination(tmp_path / "123")
