"""Named, replaceable stages of the planning chain.

``docs/design.md``: each stage of the chain is replaceable by name through a small registry, so a
user can plug in their own model without editing the package. A registry maps a name to a
function; the scenario's ``stages:`` section picks one name per stage, and the built-in model of
each stage is registered as ``"flatbed"``.

>>> from flatbed.serving.sizing import LLM_SIZING
>>> @LLM_SIZING.register("my_sizing")
... def my_sizing(deployment, workload, seed=0, duration_s=300.0):
...     ...

The registries are :data:`flatbed.serving.sizing.LLM_SIZING`,
:data:`flatbed.serving.sizing.VISION_SIZING`, :data:`flatbed.facility.cooling.COOLING_POWER`
and :data:`flatbed.plan.choose.OBJECTIVES`; ``flatbed plan --plugin FILE`` imports a Python file
that registers its functions before the scenario is read.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Generic, TypeVar

from flatbed.errors import InputError

F = TypeVar("F", bound=Callable[..., object])

BUILTIN = "flatbed"
"""Name under which each stage's built-in model is registered."""


class Registry(Generic[F]):
    """Functions of one stage, by name.

    Parameters
    ----------
    stage
        The stage's name as the scenario's ``stages:`` section spells it (e.g. ``llm_sizing``).
    signature
        The call the chain makes, for error messages and docs.
    """

    def __init__(self, stage: str, signature: str) -> None:
        self.stage = stage
        self.signature = signature
        self._fns: dict[str, F] = {}

    def register(self, name: str, *, replace: bool = False) -> Callable[[F], F]:
        """Decorator registering a function under ``name``.

        A name already taken raises ``ValueError`` unless ``replace`` is true, so a plug-in
        cannot silently shadow another (or the built-in).
        """
        if not name or not name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"{self.stage}: a stage name is letters, digits, '_' or '-' "
                             f"(got {name!r})")

        def add(fn: F) -> F:
            if name in self._fns and not replace:
                raise ValueError(f"{self.stage}: {name!r} is already registered; pass "
                                 "replace=True to replace it")
            self._fns[name] = fn
            return fn

        return add

    def unregister(self, name: str) -> None:
        """Remove ``name`` (the built-in cannot be removed)."""
        if name == BUILTIN:
            raise ValueError(f"{self.stage}: the built-in {BUILTIN!r} cannot be removed")
        self._fns.pop(name, None)

    def get(self, name: str) -> F:
        """The function registered as ``name``; an :class:`InputError` with suggestions if none."""
        try:
            return self._fns[name]
        except KeyError:
            raise InputError(self.unknown(name)) from None

    def unknown(self, name: str) -> str:
        """Message for an unregistered ``name``: what is registered, and the closest names."""
        hint = difflib.get_close_matches(name, list(self._fns), n=2)
        did = f" — did you mean {' or '.join(repr(h) for h in hint)}?" if hint else ""
        return (f"unknown {self.stage} {name!r}{did}; registered: {', '.join(self.names())} "
                f"(a plug-in registers more: `flatbed plan --plugin FILE`)")

    def names(self) -> list[str]:
        """Registered names, the built-in first."""
        return sorted(self._fns, key=lambda n: (n != BUILTIN, n))

    def __contains__(self, name: object) -> bool:
        return name in self._fns

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())


_LOADED_FILES: set[str] = set()


def load_plugins(plugins: Sequence[str | Path]) -> None:
    """Import plug-ins that register stage functions: Python files (``my_stages.py``) or
    importable module names (``mypkg.stages``).

    The user's own code runs, as with ``python my_stages.py``; nothing is downloaded. A file that
    is missing, or code that fails on import, is an :class:`InputError` naming the plug-in.
    """
    for plugin in plugins:
        text = str(plugin)
        path = Path(text)
        try:
            if text.endswith(".py") or path.exists():
                if not path.is_file():
                    raise InputError(f"plug-in {text}: no such Python file")
                key = str(path.resolve())
                if key in _LOADED_FILES:  # loaded once per process: it registers names
                    continue
                name = f"flatbed_plugin_{len(_LOADED_FILES)}_{path.stem}"
                spec = importlib.util.spec_from_file_location(name, path)
                if spec is None or spec.loader is None:
                    raise InputError(f"plug-in {text}: not a Python file")
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                spec.loader.exec_module(module)
                _LOADED_FILES.add(key)
            else:
                importlib.import_module(text)
        except InputError:
            raise
        except ModuleNotFoundError as exc:
            raise InputError(f"plug-in {text}: no module {exc.name!r} (give a .py file or an "
                             "importable module name)") from None
        except Exception as exc:  # the plug-in's own code failed: say where, keep it short
            raise InputError(f"plug-in {text} failed on import: "
                             f"{type(exc).__name__}: {exc}") from None
