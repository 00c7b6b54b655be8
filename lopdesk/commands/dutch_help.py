"""Click's own help words in Dutch: usage line, section titles, the help option, defaults.

typer 0.29 vendors click (typer._click) and builds every help page with the Context's
formatter class, so one formatter that translates the fixed English words covers every
command. Our own help texts are Dutch already and pass through unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from typer._click import core as click_core
from typer._click.formatting import HelpFormatter
from typer.core import TyperArgument

from lopdesk.labels import ARGUMENT

SECTIONS = {
    "Options": "Opties",
    "Arguments": "Argumenten",
    "Commands": "Opdrachten",
}
USAGE_PREFIX = "Gebruik: "
# Fixed help lines of click and typer (help option, shell completion).
OPTION_HELP = {
    "Show this message and exit.": "Toon deze hulp en stop.",
    "Install completion for the current shell.":
        "Installeer de aanvulling met Tab voor de huidige shell.",
    "Show completion for the current shell, to copy it or customize the installation.":
        "Toon het aanvulscript voor de huidige shell (om te kopiëren of aan te passen).",
    "Install completion for the specified shell.":
        "Installeer de aanvulling met Tab voor de opgegeven shell.",
    "Show completion for the specified shell, to copy it or customize the installation.":
        "Toon het aanvulscript voor de opgegeven shell.",
}
# Bracketed extras click appends to an option's help ("[default: 5]", "[required]").
EXTRAS = (
    (re.compile(r"\bdefault: "), "standaard: "),
    (re.compile(r"\brequired\b"), "verplicht"),
    (re.compile(r"\benv var: "), "omgevingsvariabele: "),
)
# Metavariables in usage lines and option lists.
METAVARS = (
    ("[OPTIONS]", "[OPTIES]"),
    ("COMMAND [ARGS]...", "OPDRACHT [ARGUMENTEN]..."),
    ("[ARGS]...", "[ARGUMENTEN]..."),
    ("<str>", "<tekst>"),
    ("<list[str]>", "<tekst>"),
    ("<int range>", "<getal>"),
    ("<int>", "<getal>"),
    ("<float>", "<getal>"),
    ("<path>", "<pad>"),
)


def dutch(text: str) -> str:
    """The Dutch wording of one of click's fixed help strings (others unchanged)."""
    if text in OPTION_HELP:
        return OPTION_HELP[text]
    for english, help_nl in OPTION_HELP.items():
        if text.startswith(english):
            text = help_nl + text[len(english):]
            break
    if "[" in text:
        for pattern, replacement in EXTRAS:
            text = pattern.sub(replacement, text)
    for english, nl in METAVARS:
        text = text.replace(english, nl)
    return text


class DutchHelpFormatter(HelpFormatter):
    """click's HelpFormatter with the fixed English words in Dutch."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, dutch(args), USAGE_PREFIX if prefix is None else prefix)

    @contextmanager
    def section(self, name: str) -> Iterator[None]:
        with super().section(SECTIONS.get(name, name)):
            yield

    def write_dl(self, rows: Sequence[tuple[str, str]], col_max: int = 30,
                 col_spacing: int = 2) -> None:
        super().write_dl([(dutch(term), dutch(text)) for term, text in rows],
                         col_max, col_spacing)


def argument_name(param: TyperArgument) -> str:
    """An argument as help and messages name it: its metavar, else its Dutch name (NIVEAU,
    KIND) from labels.ARGUMENT, else its name in code in capitals."""
    if param.metavar is not None:
        return param.metavar
    name = param.name or ""
    return ARGUMENT.get(name, name.upper())


def install() -> None:
    """Every help page of this process is formatted in Dutch, its arguments named in Dutch
    (usage line, argument list and the 'ontbrekend argument' message)."""
    click_core.Context.formatter_class = DutchHelpFormatter
    TyperArgument.display_name_raw = property(argument_name)  # type: ignore[assignment]


def choices(title: str, labels: dict[str, str]) -> str:
    """Help text that lists the accepted codes with their Dutch labels."""
    listed = ", ".join(f"{code} ({label})" for code, label in labels.items())
    return f"{title}: {listed}."
