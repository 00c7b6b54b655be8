"""Command-line values of the plain kinds (text, whole numbers, flags) kept without pydantic.

typer converts every value through a pydantic TypeAdapter: importing pydantic and building
the adapters took about a third of a quick command's whole process (`lopdesk counters`).
Here a text or a flag's True/False stays as given and a whole number written in digits
becomes an int, which is what typer's adapters give for them; every other value, and every
other kind of parameter (paths, choices, ranges, lists, parsers), goes through typer's own
conversion, so results and messages stay typer's (and cli.py's Dutch translations of them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from typer import _coercion
from typer import core as typer_core

# typer (pydantic) takes "+12", "007" and "-5" alike; int() gives the same numbers
_DIGITS = re.compile(r"[+-]?[0-9]{1,100}")
_typer_build = _coercion.build_runtime_param


@dataclass(frozen=True)
class PlainRuntimeParam(_coercion.RuntimeParam):
    """A str, int or bool parameter: the plain values here, the others through typer."""

    descriptor: Any = None
    _full: list = field(default_factory=list)  # typer's own, built at the first odd value

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        kind = self.annotation
        if type(value) is kind:  # noqa: E721 - exactly str, int or bool (a bool is no int)
            return value
        if kind is int and isinstance(value, str) and _DIGITS.fullmatch(value):
            return int(value)
        if not self._full:
            self._full.append(_typer_build(self.descriptor))
        return self._full[0]._coerce_value(value, param=param, ctx=ctx)


def _is_plain(descriptor: Any) -> bool:
    info = descriptor.parameter_info
    return (descriptor.annotation in (str, int, bool) and descriptor.file_annotation is None
            and getattr(info, "parser", None) is None and not descriptor.is_ranged
            and not descriptor.is_choice
            and not descriptor.is_path)


def build_runtime_param(descriptor: Any) -> Any:
    if _is_plain(descriptor):
        return PlainRuntimeParam(parameter_info=descriptor.parameter_info,
                                 annotation=descriptor.annotation, descriptor=descriptor)
    return _typer_build(descriptor)


def install() -> None:
    """Let typer's parameters convert through build_runtime_param (once per process)."""
    typer_core.build_runtime_param = build_runtime_param
