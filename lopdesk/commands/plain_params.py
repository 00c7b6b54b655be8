"""Command-line values of the plain kinds (text, whole numbers, flags) kept without pydantic.

typer converts every value through a pydantic TypeAdapter: importing pydantic and building
the adapters took about a third of a quick command's whole process (`lopdesk counters`).
Here a text or a flag's True/False stays as given, a whole number written in digits becomes
an int and a path a Path checked by typer's own path checks, which is what typer's adapters
give for them; every other value, and every other kind of parameter (choices, ranges,
lists, parsers), goes through typer's own conversion, so results and messages stay
typer's (and cli.py's Dutch translations of them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typer import _coercion
from typer import core as typer_core
from typer._param_types import coerce_cli_path

# typer (pydantic) takes "+12", "007" and "-5" alike; int() gives the same numbers
_DIGITS = re.compile(r"[+-]?[0-9]{1,100}")
_typer_build = _coercion.build_runtime_param


@dataclass(frozen=True)
class PlainRuntimeParam(_coercion.RuntimeParam):
    """A str, int, bool or Path parameter: the plain values here, the others through typer."""

    descriptor: Any = None
    _full: list = field(default_factory=list)  # typer's own, built at the first odd value

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        kind = self.annotation
        if type(value) is kind:  # noqa: E721 - exactly str, int or bool (a bool is no int)
            return value
        if kind is int and isinstance(value, str) and _DIGITS.fullmatch(value):
            return int(value)
        if kind is Path and isinstance(value, str) and value and "\x00" not in value:
            # typer's own checks (exists, file or folder, …) on the Path pydantic would make
            return coerce_cli_path(Path(value), self.parameter_info, path_type=Path,
                                   param=param, ctx=ctx)
        if not self._full:
            self._full.append(_typer_build(self.descriptor))
        return self._full[0]._coerce_value(value, param=param, ctx=ctx)


def _is_plain(descriptor: Any) -> bool:
    info = descriptor.parameter_info
    if descriptor.file_annotation is not None or getattr(info, "parser", None) is not None:
        return False
    if descriptor.annotation is Path:
        return getattr(info, "path_type", None) is None
    return (descriptor.annotation in (str, int, bool) and not descriptor.is_ranged
            and not descriptor.is_choice and not descriptor.is_path)


def build_runtime_param(descriptor: Any) -> Any:
    if _is_plain(descriptor):
        return PlainRuntimeParam(parameter_info=descriptor.parameter_info,
                                 annotation=descriptor.annotation, descriptor=descriptor)
    return _typer_build(descriptor)


def install() -> None:
    """Let typer's parameters convert through build_runtime_param (once per process)."""
    typer_core.build_runtime_param = build_runtime_param
