"""Pretend optional packages are not installed, for the tests of what users without them see."""

from __future__ import annotations

import builtins

import pytest


def block_imports(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Make ``import <name>`` raise ImportError for each of ``names`` until the test ends."""
    real_import = builtins.__import__

    def blocked(name: str, *args: object, **kwargs: object):
        if name in names:
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", blocked)
