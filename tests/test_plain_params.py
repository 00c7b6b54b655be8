"""Plain command-line values convert without pydantic, to exactly what typer's own
conversion gives; every other value still goes through typer (and its messages)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from lopdesk.commands import plain_params

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def show(name: str = typer.Argument(...), year: int | None = typer.Option(None, "--year"),
             count: int = typer.Option(5, "--count"), flag: bool = typer.Option(False, "--flag"),
             tag: list[str] = typer.Option([], "--tag"),  # noqa: B006
             src: Path | None = typer.Option(None, "--src", exists=True, dir_okay=False),
             out: Path | None = typer.Option(None, "--out")) -> None:
        typer.echo(repr((name, year, count, flag, tag, src, out)))

    return app


ARGS = [["x"], ["é ü", "--year", "2027"], ["x", "--year", "+12"], ["x", "--year", "007"],
        ["x", "--year", "-5"], ["x", "--year", " 3"], ["x", "--year", "1_000"],
        ["x", "--count", "99999999999999999999999"], ["x", "--flag", "--tag", "a", "--tag", "b"],
        ["x", "--year", "abc"], ["x", "--year", "1.5"], ["x", "--count", ""],
        ["x", "--src", __file__], ["x", "--src", "/no/such/file"], ["x", "--src", "/tmp"],
        ["x", "--out", "a/b"], ["x", "--out", ""], ["x", "--out", "-"], ["x", "--out", "~"]]


@pytest.mark.parametrize("args", ARGS)
def test_plain_conversion_gives_what_typer_gives(args, monkeypatch):
    monkeypatch.setattr(typer.core, "build_runtime_param", plain_params._typer_build)
    typer_result = runner.invoke(_app(), args)
    monkeypatch.setattr(typer.core, "build_runtime_param", plain_params.build_runtime_param)
    plain_result = runner.invoke(_app(), args)
    assert (plain_result.exit_code, plain_result.output) == (typer_result.exit_code,
                                                             typer_result.output)


def test_plain_values_skip_typer_and_odd_ones_do_not(monkeypatch):
    built = []
    monkeypatch.setattr(plain_params, "_typer_build", lambda d: _record(built, d))
    monkeypatch.setattr(typer.core, "build_runtime_param", plain_params.build_runtime_param)
    assert runner.invoke(_app(), ["x", "--year", "2027", "--flag", "--out", "o"]).output == \
        "('x', 2027, 5, True, [], None, PosixPath('o'))\n"
    assert built == [list[str]]  # only the list went through typer's adapters
    result = runner.invoke(_app(), ["x", "--year", "abc"])
    assert result.exit_code == 2 and "--year" in result.output
    assert int in built


_TYPER_BUILD = plain_params._typer_build


def _record(built: list, descriptor):
    built.append(descriptor.annotation)
    return _TYPER_BUILD(descriptor)
