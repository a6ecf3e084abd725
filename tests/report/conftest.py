"""Make plan_samples importable by the report tests (importlib import mode)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_NAME = "flatbed_test_plan_samples"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(_NAME, Path(__file__).parent / "plan_samples.py")
    assert _spec is not None and _spec.loader is not None
    _mod = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _mod
    _spec.loader.exec_module(_mod)


def pytest_configure(config: object) -> None:
    config.addinivalue_line(  # type: ignore[attr-defined]
        "markers", "browser: drives Debian's Chromium (/usr/bin/chromium) through Playwright")
