"""Set scenario parameters by dotted path, re-validating the result.

A path is field names joined by dots, with ``[i]`` to index a list and ``[name]`` to pick the
list item whose ``id`` is ``name``: ``sites[0].grid_usd_per_kwh``, ``sites[denver].climate``,
``workloads[chat].peak_requests_per_s``, ``prices.discount_rate``,
``prices.accelerator_usd.H100-SXM`` (a mapping key is set even when it is new).
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from flatbed.errors import InputError
from flatbed.scenario import Scenario

_TOKEN = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)|(\.)")


def parse_path(path: str) -> list[str | int | tuple[str, str]]:
    """Split a dotted path into keys: field names (str), indices (int), ``("id", name)``."""
    keys: list[str | int | tuple[str, str]] = []
    pos = 0
    expect_name = True
    while pos < len(path):
        m = _TOKEN.match(path, pos)
        if m is None:
            raise InputError(f"sweep parameter {path!r}: cannot parse at {path[pos:]!r}")
        br, name, dot = m.groups()
        if dot:
            if expect_name:
                raise InputError(f"sweep parameter {path!r}: empty name before a dot")
            expect_name = True
        elif name is not None:
            keys.append(name.strip())
            expect_name = False
        else:
            if not br.strip():
                raise InputError(f"sweep parameter {path!r}: empty [] index")
            b = br.strip().strip("'\"")
            keys.append(int(b) if re.fullmatch(r"-?\d+", b) else ("id", b))
            expect_name = False
        pos = m.end()
    if not keys or expect_name:
        raise InputError(f"sweep parameter {path!r}: empty or ends with a dot")
    return keys


def _fields_of(node: Mapping[str, Any]) -> list[str]:
    return [str(k) for k in node]


def _set(data: Any, keys: list[str | int | tuple[str, str]], value: Any, path: str) -> None:
    node = data
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        where = path if last else f"{path} (at {key!r})"
        if isinstance(key, int | tuple):
            if not isinstance(node, list):
                raise InputError(f"sweep parameter {where}: not a list here")
            if isinstance(key, int):
                if not -len(node) <= key < len(node):
                    raise InputError(
                        f"sweep parameter {path}: index {key} out of range (the list has "
                        f"{len(node)} items)")
                idx = key
            else:
                ids = [item.get("id") for item in node if isinstance(item, dict)]
                if key[1] not in ids:
                    hint = difflib.get_close_matches(key[1], [str(i) for i in ids], n=1)
                    did = f" — did you mean {hint[0]!r}?" if hint else ""
                    raise InputError(f"sweep parameter {path}: no item with id {key[1]!r}{did}")
                idx = ids.index(key[1])
            if last:
                node[idx] = value
            else:
                node = node[idx]
        else:
            if not isinstance(node, dict):
                raise InputError(f"sweep parameter {where}: {key!r} is not a field here")
            if key not in node and not _is_open_mapping(node):
                hint = difflib.get_close_matches(key, _fields_of(node), n=1)
                did = f" — did you mean {hint[0]!r}?" if hint else ""
                raise InputError(f"sweep parameter {path}: unknown field {key!r}{did}")
            if last:
                node[key] = value
            else:
                if node.get(key) is None:
                    node[key] = {}
                node = node[key]


def _is_open_mapping(node: dict[str, Any]) -> bool:
    # user-keyed mappings (prices.accelerator_usd, ...) hold numbers, not sub-records
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in node.values())


def apply_overrides(base: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A new, validated scenario with ``overrides`` (path → value) applied to ``base``.

    Raises
    ------
    InputError
        Unknown path, index out of range, or a value the scenario schema rejects.
    """
    data = copy.deepcopy(base.model_dump(mode="python"))
    for path, value in overrides.items():
        _set(data, parse_path(path), value, path)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"] if p not in ("llm", "vision"))
        raise InputError(
            f"sweep variant {dict(overrides)!r}: {loc}: "
            f"{err['msg'].removeprefix('Value error, ')}") from None
    except ValueError as exc:  # model validators (links between sites and workloads)
        raise InputError(f"sweep variant {dict(overrides)!r}: {exc}") from None
