"""One line per measured figure, in a form `benchmarks/run_all.py` gathers into one table.

A benchmark prints its own readable text and, for every figure of the performance table,
`figure(measure, value, target)`: a line `FIGURE<TAB>measure<TAB>value<TAB>target`.
"""

from __future__ import annotations

PREFIX = "FIGURE\t"


def figure(measure: str, value: str, target: str) -> None:
    print(f"{PREFIX}{measure}\t{value}\t{target}", flush=True)


def parse(text: str) -> list[tuple[str, str, str]]:
    """The figures printed in `text`, in order."""
    rows = []
    for line in text.splitlines():
        if line.startswith(PREFIX):
            measure, value, target = (line[len(PREFIX):].split("\t") + ["", ""])[:3]
            rows.append((measure, value, target))
    return rows


def table(rows: list[tuple[str, str, str]]) -> str:
    """The figures as one aligned table: measure, figure, target."""
    head = ("measure", "figure", "target")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(3)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
             for r in [head, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
