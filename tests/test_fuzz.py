"""Bad input never crashes: hypothesis-generated arguments against every CLI command.

Every command of `lopdesk` (walked from the click tree, so new commands are covered as they
are added) gets random arguments and options. The contract: exit code 0, 1 or 2, a message
instead of a traceback, and no unexpected exception escaping the command.
"""

from __future__ import annotations

import pytest
import typer
from builders import basic, t
from conftest import invoke_as
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from lopdesk.cli import app
from lopdesk.domain import registers

# Slow by design (builds a whole area) or opens the full-screen app: not for fuzzing.
SKIP = {("demo",)}
runner = CliRunner()


def _commands() -> list[tuple[tuple[str, ...], object]]:
    found: list[tuple[tuple[str, ...], object]] = []

    def walk(cmd, path: tuple[str, ...]) -> None:
        if hasattr(cmd, "commands"):  # a group (typer vendors its own click)
            for name, sub in sorted(cmd.commands.items()):
                walk(sub, (*path, name))
        elif path not in SKIP:
            found.append((path, cmd))

    walk(typer.main.get_command(app), ())
    return found


COMMANDS = _commands()

# Values that mean something to lopdesk (existing ids, statuses, dates) and values that
# do not (empty, negative, huge, odd characters).
WORDS = ["L1", "K000", "K001", "S1", "A", "1", "2", "0", "-1", "99999999999999999999",
         "1.5", "realised", "withdrawn", "deferred", "none", "sibling", "priority", "free",
         "lop_expert", "admin", "viewer", "2027-03-01T09:00:00", "2027-02-30", "01/03/2027",
         "gisteren", "", " ", "L1:1", "L1:x", ":", "x" * 300, "élève", "a;b", "--", "-",
         "tester", "kijker", "register_entry", "nergens.csv", "out", ".",
         "9" * 25, "0001-01-01", "0001-01-01T00:00:00", "9999-12-31T23:59:59", "L" * 70,
         "\x1b[31m", "a\x00b", "[bold]x"]
VALUE = st.one_of(st.sampled_from(WORDS), st.sampled_from(WORDS), st.text(max_size=12),
                  st.integers(-10, 10 ** 6).map(str))
USER = st.sampled_from(["tester", "tester", "expert", "kijker", "onbekend"])


@st.composite
def invocation(draw) -> tuple[str, list[str]]:
    path, cmd = draw(st.sampled_from(COMMANDS))
    argv = list(path)
    for param in cmd.params:
        if getattr(param, "param_type_name", "") == "argument":
            if draw(st.integers(0, 9)) > 0:  # usually given, sometimes missing
                argv.extend(draw(VALUE) for _ in range(max(param.nargs, 1)))
        elif draw(st.booleans()):
            argv.append(draw(st.sampled_from(param.opts + param.secondary_opts)))
            if not getattr(param, "is_flag", False) and draw(st.integers(0, 9)) > 0:
                argv.append(draw(VALUE))
    if draw(st.integers(0, 4)) == 0:  # an extra stray token
        argv.insert(draw(st.integers(len(path), len(argv))), draw(VALUE))
    return draw(USER), argv


@pytest.fixture
def scenario(db, tmp_path, monkeypatch):
    lv, kids = basic(db, capacity=2, n_children=4)
    registers.add_request(db, lv, kids[0], at=t(1))
    monkeypatch.chdir(tmp_path)  # whatever a command writes stays in the test's folder
    return db


def _check(db_path, user: str, argv: list[str]) -> None:
    result = invoke_as(user, runner, app, ["--db", str(db_path), *argv])
    where = f"lopdesk {' '.join(map(repr, argv))} (user {user}): {result.output[-800:]}"
    assert result.exit_code in (0, 1, 2), where
    assert "Traceback" not in result.output, where
    assert "onverwachte fout" not in result.output, where  # bad values are exit 2
    exc = result.exception
    assert exc is None or isinstance(exc, SystemExit), f"{where}\n{exc!r}"


@settings(max_examples=150, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(call=invocation())
def test_random_arguments_never_crash(scenario, db_path, call):
    user, argv = call
    _check(db_path, user, argv)


@settings(max_examples=80, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(group=st.sampled_from(sorted({p[0] for p, _ in COMMANDS})),
       tokens=st.lists(VALUE, max_size=5))
def test_random_tokens_never_crash(scenario, db_path, group, tokens):
    _check(db_path, "tester", [group, *tokens])
