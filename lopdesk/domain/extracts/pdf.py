"""PDF documents: Typst sources from Jinja2 templates (`<kind>.typ.j2`), compiled by the
`typst` package (its wheels bundle the compiler and its fonts: no system library).

User data never reaches Typst as markup. The Typst environment escapes every `{{ … }}`
output (its `finalize`), so a name with `#`, `*`, `_`, `$`, `]`, `\\`, `<`, `@` or a
backtick prints literally, also in a template a LOP wrote itself; only text marked as
markup by the `typ` filter (already escaped) passes as it is. The compiler runs with an
empty temporary folder as its root, so a template cannot read files from the machine.
"""

from __future__ import annotations

import string
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from lopdesk.domain.errors import InvalidInput

# Every ASCII punctuation character gets a backslash: Typst reads `\` + any character
# as that character, and this covers the markup ones (`# * _ $ [ ] < > @ ` ~ / = - + .`
# and the rest) whatever their position (line starts, `//` comments, `...`, `--`).
_ESCAPED = frozenset(string.punctuation)
# Control characters other than newline and tab would end up as boxes or break the parse.
_DROPPED = frozenset(chr(c) for c in range(32) if chr(c) not in "\n\t") | {"\x7f"}


class TypstMarkup(str):
    """Text that is Typst markup already (escaped data or a template's own markup)."""


def typst_escape(value: Any) -> TypstMarkup:
    """`value` as Typst markup that prints literally; None as empty. A newline in the data
    becomes a Typst line break (a backslash at the end of the line)."""
    if isinstance(value, TypstMarkup):
        return value
    text = "" if value is None else str(value)
    out: list[str] = []
    for ch in text.replace("\r\n", "\n").replace("\r", "\n"):
        if ch in _DROPPED:
            continue
        if ch == "\n":
            out.append(" \\\n")
        elif ch == "\t":
            out.append(" ")
        elif ch in _ESCAPED:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return TypstMarkup("".join(out))


def _finalize(value: Any) -> Any:
    return typst_escape(value)


def typst_environment(templates_dir: Path | None = None):
    """The documents' sandboxed environment (same loaders and filters) with Typst escaping
    of every output instead of HTML escaping."""
    from lopdesk.domain.extracts.environment import environment

    env = environment(templates_dir)
    env.autoescape = False
    env.finalize = _finalize
    env.filters["typ"] = typst_escape
    return env


def page_context(db: Any, lop_name: str, hashes: list[tuple[str, str]] | None = None
                 ) -> dict[str, Any]:
    """Header and footer of a PDF: the LOP's name, the audit head (id and hash of the newest
    audit record, read after the document's own record) and, for a proces-verbaal, the
    run's hashes as (label, sha256) pairs."""
    from lopdesk.domain import audit

    head = audit.head(db)
    return {"lop": lop_name, "audit_id": head.id, "audit_hash": head.hash,
            "hashes": [{"label": label, "sha256": value} for label, value in hashes or []]}


def compile_pdf(source: str, *, timestamp: datetime | None = None) -> bytes:
    """Compile a Typst source to PDF bytes in an empty private folder (the compiler's root:
    no file outside it can be read). A template error becomes a Dutch InvalidInput."""
    import typst

    with tempfile.TemporaryDirectory(prefix="lopdesk-typst-") as folder:
        main = Path(folder) / "document.typ"
        main.write_text(source, encoding="utf-8")
        kw: dict[str, Any] = {"root": folder, "format": "pdf"}
        if timestamp is not None:
            kw["timestamp"] = timestamp
        try:
            data = typst.compile(str(main), **kw)
        except Exception as exc:  # typst raises its own error types per version
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InvalidInput(f"het PDF-sjabloon kon niet worden opgemaakt: {first}",
                               field="format") from None
    if not isinstance(data, bytes):
        raise InvalidInput("het PDF-sjabloon gaf geen PDF terug.", field="format")
    return data
