"""Every help page of the command line is Dutch: click's fixed words are translated."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from lopdesk.cli import app

ENGLISH = ("Usage:", "Options:", "Arguments:", "Commands:", "Show this message",
           "[default:", "[required]", "Install completion", "[OPTIONS]", "COMMAND [ARGS]",
           "<int range>", "<list[", "<str>", "<int>", "<path>", " seed ")
# Argument names typer would show from the code (the parameter's name) instead of Dutch
# ("KIND" is Dutch for child: `case add`'s kind must show as SOORT, checked by name below).
ENGLISH_METAVARS = {"LEVEL", "LEVELS", "CHILD", "ROUND_ID", "CASE_ID", "ENTRY", "FILE", "PATH",
                    "NAME", "YEAR", "DAY", "AREA", "RUN", "TARGET", "INPUT_DIR", "VALUE", "TO",
                    "TEXT", "SEARCH", "ROLE", "DECISION", "CAPACITY"}


def _paths(command, prefix=()):
    yield prefix
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        if not getattr(sub, "hidden", False):
            yield from _paths(sub, (*prefix, name))


ALL_PATHS = list(_paths(typer.main.get_command(app)))


def test_every_command_is_walked():
    assert ("register", "add") in ALL_PATHS and ("case", "close") in ALL_PATHS
    assert len(ALL_PATHS) > 60


@pytest.mark.parametrize("path", ALL_PATHS, ids=lambda p: " ".join(p) or "lopdesk")
def test_help_page_is_dutch(path):
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Gebruik: lopdesk")
    leaks = [word for word in ENGLISH if word in result.output]
    assert not leaks, f"{' '.join(path)}: {leaks}\n{result.output}"
    assert "Toon deze hulp en stop." in result.output
    assert not english_run(result.output), f"{' '.join(path)}: {english_run(result.output)}"


def english_run(text: str) -> list[str]:
    """Lines that say 'run' in prose: a run of the allocation is a 'toewijzing'. The command
    names (round run, round runs, allocate run) and the option --run stay."""
    found = []
    for line in text.splitlines():
        if line.startswith("Gebruik:"):
            continue
        prose = re.sub(r"^\s+runs?\s{2,}|'[^']*'|--run\b|(round|allocate) runs?\b", "", line)
        if re.search(r"(?<![\w-])[Rr]uns?(?![\w-])", prose):
            found.append(line)
    return found


def _arguments(command, prefix=()):
    from typer.core import TyperArgument

    for param in getattr(command, "params", []):
        if isinstance(param, TyperArgument):
            yield " ".join(prefix), param
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _arguments(sub, (*prefix, name))


def test_every_argument_has_a_dutch_name():
    """Usage lines, argument lists and 'ontbrekend argument' name arguments in Dutch
    (labels.ARGUMENT), never by their name in code."""
    from lopdesk.labels import ARGUMENT

    args = list(_arguments(typer.main.get_command(app)))
    assert len(args) > 50
    shown = {(where, param.name): param.display_name_raw for where, param in args}
    assert shown[("register add", "level")] == "NIVEAU"
    assert shown[("register add", "child")] == "KIND"
    assert shown[("round apply", "round_id")] == "RONDE"
    assert shown[("extract pv", "run")] == "TOEWIJZING"
    wrong = {k: v for k, v in shown.items() if v not in ARGUMENT.values()
             or v in ENGLISH_METAVARS or (v.lower() == k[1] and v != "CODE")}
    assert not wrong, wrong


@pytest.mark.parametrize("path", ALL_PATHS, ids=lambda p: " ".join(p) or "lopdesk")
def test_usage_line_names_arguments_in_dutch(path):
    out = CliRunner().invoke(app, [*path, "--help"]).output
    usage = out.splitlines()[0]
    words = re.findall(r"[{\[]([^\]}]+)[}\]]", usage.split("[OPTIES]", 1)[-1])
    for word in words:
        name = word.removesuffix("...")
        assert name == "ARGUMENTEN" or (name.isupper() and name not in ENGLISH_METAVARS), usage


def test_priority_groups_and_choices_show_their_labels():
    flat = " ".join(CliRunner().invoke(app, ["round", "level", "--help"]).output.split())
    assert "sibling_staff (broer/zus en kind van personeel), sibling (broer/zus)" in flat
    assert "priority_first (eerst voorrangsgroepen)" in flat
    assert "random (toeval)" in flat
    flat = " ".join(CliRunner().invoke(app, ["period", "open", "--help"]).output.split())
    assert "priority (voorrangsperiode), free (vrije inschrijving)" in flat
    assert "sibling (broer/zus)" in flat
    flat = " ".join(CliRunner().invoke(app, ["allocate", "run", "--help"]).output.split())
    assert "single (één lotnummer per kind voor alle scholen)" in flat


def test_root_help_names_the_dutch_sections():
    out = CliRunner().invoke(app, ["--help"]).output
    assert re.search(r"^Opties:$", out, re.M) and re.search(r"^Opdrachten:$", out, re.M)
    assert "--install-completion" in out


def test_codes_are_listed_with_their_labels():
    out = CliRunner().invoke(app, ["register", "add", "--help"]).output
    flat = " ".join(out.split())
    assert "sibling_staff (broer/zus en kind van personeel)" in flat
    assert "staff (kind van personeel)" in flat
    assert "[standaard: none]" in flat


def test_usage_error_shows_dutch_usage():
    result = CliRunner().invoke(app, ["register", "add"])
    assert result.exit_code == 2
    assert "Gebruik: lopdesk register add [OPTIES]" in result.output
    assert "Usage" not in result.output


def clean_environment() -> dict[str, str]:
    """The environment without completion variables a test in the same worker may have
    left behind (typer then answers a completion request instead of the option)."""
    import os

    return {k: v for k, v in os.environ.items()
            if not k.endswith("_COMPLETE") and not k.startswith(("_TYPER", "COMP_"))}


def test_completion_script_for_bash():
    import subprocess
    import sys

    # a fresh process: typer's completion reads the program name and environment, and
    # takes the shell from the process tree (shellingham), so the command runs in bash as
    # a user's does; from make's sh it would answer "Shell sh not supported"
    script = "from lopdesk.cli import app; app(prog_name='lopdesk')"
    done = subprocess.run(["bash", "-c", '"$0" -c "$1" --show-completion; exit $?',
                           sys.executable, script],
                          env=clean_environment(), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "_lopdesk_completion" in done.stdout


def test_tab_completion_answers_subcommands():
    import subprocess
    import sys

    env = {**clean_environment(), "COMP_WORDS": "lopdesk register a", "COMP_CWORD": "2",
           "_LOPDESK_COMPLETE": "complete_bash"}
    script = "from lopdesk.cli import app; app(prog_name='lopdesk')"
    done = subprocess.run([sys.executable, "-c", script],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["add"]
