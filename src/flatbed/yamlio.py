"""Safe YAML reading shared by the scenario and catalog loaders."""

from __future__ import annotations

import re
from typing import Any

import yaml


class SafeLoader(yaml.SafeLoader):
    """Safe loader with YAML 1.2 booleans: only true/false are booleans.

    YAML 1.1 reads ``country: NO`` (Norway) and ``on``/``off``/``yes``/``no`` as booleans; our
    files name countries, so those stay strings.
    """


SafeLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in rs if tag != "tag:yaml.org,2002:bool"]
    for ch, rs in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
SafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def load_yaml(text: str) -> Any:
    """Parse YAML text safely (no arbitrary objects) with YAML 1.2 booleans."""
    return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - SafeLoader subclass


def compose_yaml(text: str) -> yaml.Node | None:
    """The node tree (with line marks) of YAML text."""
    return yaml.compose(text, Loader=SafeLoader)
