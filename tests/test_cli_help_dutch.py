"""Every help page of the command line is Dutch: click's fixed words are translated."""

from __future__ import annotations

import re

import pytest
import typer
from typer.testing import CliRunner

from lopdesk.cli import app

ENGLISH = ("Usage:", "Options:", "Arguments:", "Commands:", "Show this message",
           "[default:", "[required]", "Install completion", "[OPTIONS]", "COMMAND [ARGS]")


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


def test_completion_script_for_bash():
    import subprocess
    import sys

    # a fresh process: typer's completion reads the program name and environment
    script = "from lopdesk.cli import app; app(prog_name='lopdesk')"
    done = subprocess.run([sys.executable, "-c", script, "--show-completion", "bash"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "_lopdesk_completion" in done.stdout


def test_tab_completion_answers_subcommands():
    import os
    import subprocess
    import sys

    env = {**os.environ, "COMP_WORDS": "lopdesk register a", "COMP_CWORD": "2",
           "_LOPDESK_COMPLETE": "complete_bash"}
    script = "from lopdesk.cli import app; app(prog_name='lopdesk')"
    done = subprocess.run([sys.executable, "-c", script],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["add"]
