"""YAML readers for the tests: the strictest YAML 1.1 booleans, and CloudFormation's short tags."""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import yaml


class Yaml11Loader(yaml.SafeLoader):
    """PyYAML's safe loader with every YAML 1.1 boolean, `y` and `n` included (as yaml.v2 reads).

    PyYAML leaves out `y`/`n`; this loader reads them as booleans too, so a test that a value
    stays a string holds for the strictest YAML 1.1 reader.
    """

    bool_values: ClassVar[dict[str, bool]] = {
        **yaml.constructor.SafeConstructor.bool_values,
        "y": True,
        "n": False,
    }


Yaml11Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:y|Y|n|N)$"), list("yYnN")
)


class CfnLoader(Yaml11Loader):
    """Yaml11Loader that also accepts CloudFormation's short tags (!GetAtt, !Sub, !Ref)."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> object:
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node)}
    return {suffix: loader.construct_mapping(node)}  # type: ignore[arg-type]


CfnLoader.add_multi_constructor("!", _tag)


def load_template(project: Path) -> dict[str, object]:
    """Read a project's SAM template.yaml, short tags as one-key mappings."""
    data = yaml.load((project / "template.yaml").read_text(), Loader=CfnLoader)
    assert isinstance(data, dict)
    return data
