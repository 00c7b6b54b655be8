"""The Jinja2 environment of the documents: filters, template lookup, the override folder.

Every template renders in Jinja2's sandbox: a template cannot reach Python internals
(`''.__class__`, `cycler.__init__.__globals__`), so a template dropped in a LOP's folder
cannot run code as the colleague who makes the extract. The LOP's own folder
(Settings.templates_dir, env LOPDESK_TEMPLATES) is read only when neither group nor others
can write to it or to a template in it. Jinja2 is imported only when a document is made
(house-style: keep it out of the start path).
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from datetime import date, datetime
from pathlib import Path
from typing import Any

from lopdesk import __version__
from lopdesk.db import Database
from lopdesk.domain import audit
from lopdesk.domain.access import require
from lopdesk.domain.errors import InvalidInput
from lopdesk.domain.types import utcnow
from lopdesk.labels import (
    CONTINGENT,
    PRIORITY_GROUP,
    REASON,
    REGIME,
    STATUS,
    fmt_date,
    fmt_datetime,
    free_places_board,
    school_year_label,
)

PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"

# Which formats each document has (a template `<kind>.<fmt>.j2` per pair).
# `pdf` is the `typ` template (Typst source) compiled; `typ` itself is the source, for
# golden tests and for a LOP that adapts its template.
FORMATS: dict[str, tuple[str, ...]] = {
    "register": ("html", "csv", "txt", "pdf", "typ"),
    "register_plenary": ("html", "csv", "txt", "pdf", "typ"),
    "notice": ("html", "txt", "pdf", "typ"),
    "report": ("html", "csv", "txt", "pdf", "typ"),
    "pv": ("html", "txt", "pdf", "typ"),
    "case": ("html", "txt", "pdf", "typ"),
}
TYPST_FORMATS = ("pdf", "typ")

# OWASP "CSV injection": a spreadsheet runs a cell that starts with one of these as a
# formula; a leading quote makes it plain text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- filters ---------------------------------------------------------------------------


def csv_cell(value: Any) -> Any:
    """A cell for a CSV extract: None empty, text that a spreadsheet would run as a formula
    prefixed with a quote; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csvrow(values: Any) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([csv_cell(v) for v in values])
    return buf.getvalue()


def _pct(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}".replace(".", ",") + " %"


def _num(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}f}".replace(".", ",")


def _textbar(share: float | None, width: int = 40, marker: float | None = None) -> str:
    """A text bar of `width` cells for a share in [0, 1]; `|` marks a reference share."""
    cells = [" "] * width
    if share is not None:
        for i in range(min(width, round(share * width))):
            cells[i] = "#"
    if marker is not None:
        pos = min(width - 1, max(0, round(marker * width) - 1))
        cells[pos] = "|"
    return "".join(cells)


def _any_date(value: Any) -> str:
    """A date, a datetime or an ISO date text as dd/mm/yyyy; anything else as it is."""
    if isinstance(value, date | datetime):
        return fmt_date(value)
    if isinstance(value, str) and len(value) >= 10:
        try:
            return fmt_date(date.fromisoformat(value[:10]))
        except ValueError:
            return value
    return "" if value is None else str(value)


def yesno(value: Any) -> str:
    return "ja" if value else "nee"


def _coded(table: dict[str, str]) -> Any:
    return lambda c: table.get(c or "", c or "")


FILTERS: dict[str, Any] = {
    "dt": fmt_datetime, "d": fmt_date, "status": _coded(STATUS),
    "group": _coded(PRIORITY_GROUP), "contingent": _coded(CONTINGENT),
    "regime": _coded(REGIME), "reason": _coded(REASON),
    "board": free_places_board, "pct": _pct, "num": _num, "csvrow": _csvrow,
    "textbar": _textbar, "yesno": yesno, "year": school_year_label, "anydate": _any_date,
}


# --- the LOP's own folder ----------------------------------------------------------------


def _unsafe(path: Path, what: str) -> InvalidInput | None:
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return InvalidInput(f"{what} {path} is niet leesbaar ({exc.strerror}).",
                            field="LOPDESK_TEMPLATES")
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        return InvalidInput(
            f"{what} {path} heeft modus {stat.S_IMODE(mode):04o}: groep of anderen kunnen er "
            f"schrijven, dus worden de sjablonen niet gelezen (maak hem enkel voor de eigenaar "
            f"schrijfbaar, bv. chmod go-w).", field="LOPDESK_TEMPLATES")
    return None


def check_templates_dir(folder: Path) -> None:
    """Refuse a LOP folder that group or others can write to, or that holds such a
    template or subfolder: a colleague could slip in a template of their own."""
    if not folder.is_dir():
        raise InvalidInput(f"sjablonenmap {folder} bestaat niet of is geen map.",
                           field="LOPDESK_TEMPLATES")
    error = _unsafe(folder, "sjablonenmap")
    if error is not None:
        raise error
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            error = _unsafe(Path(root) / name, "sjablonenmap")
            if error is not None:
                raise error
        for name in files:
            error = _unsafe(Path(root) / name, "sjabloon")
            if error is not None:
                raise error


def _guarded_loader(folder: Path):
    """A FileSystemLoader for the LOP's folder that checks, at each load, the template it
    reads and the folder that really holds it (a symlink may point elsewhere)."""
    import jinja2

    class GuardedLoader(jinja2.FileSystemLoader):
        def get_source(self, environment: Any, template: str) -> Any:
            source, filename, uptodate = super().get_source(environment, template)
            real = Path(os.path.realpath(filename))
            for path, what in ((real.parent, "sjablonenmap"), (real, "sjabloon")):
                error = _unsafe(path, what)
                if error is not None:
                    raise error
            return source, filename, uptodate

    return GuardedLoader(str(folder))


# --- environment and rendering -------------------------------------------------------------


def environment(templates_dir: Path | None = None):
    """Sandboxed Jinja2 environment: the LOP's folder first (when safe), then the package."""
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    loaders: list[jinja2.BaseLoader] = []
    if templates_dir is not None:
        check_templates_dir(templates_dir)
        loaders.append(_guarded_loader(templates_dir))
    loaders.append(jinja2.FileSystemLoader(str(PACKAGE_TEMPLATES)))
    env = SandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=lambda name: bool(name) and ".html" in name,
        undefined=jinja2.StrictUndefined,  # a typo in a template fails, never prints blank
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    return env


def template_name(kind: str, fmt: str) -> str:
    if kind not in FORMATS:
        raise InvalidInput(f"onbekend document '{kind}'.", field="kind")
    if fmt not in FORMATS[kind]:
        raise InvalidInput(f"formaat '{fmt}' bestaat niet voor {kind} (kies uit "
                           f"{', '.join(FORMATS[kind])}).", field="format")
    return f"{kind}.{'typ' if fmt == 'pdf' else fmt}.j2"


def render_context(kind: str, fmt: str, context: dict[str, Any],
                   templates_dir: Path | None = None) -> Any:
    """Render a ready context with the template of `kind` and `fmt`: text, or PDF bytes
    for `pdf`. A Typst template without a `page` in the context gets an empty footer."""
    name = template_name(kind, fmt)
    if fmt not in TYPST_FORMATS:
        return environment(templates_dir).get_template(name).render(**context)
    from lopdesk.domain.extracts.pdf import compile_pdf, typst_environment

    context = {"page": {"lop": "", "audit_id": "", "audit_hash": "", "hashes": []},
               **context}
    source = typst_environment(templates_dir).get_template(name).render(**context)
    return compile_pdf(source) if fmt == "pdf" else source


def render_document(db: Database, kind: str, fmt: str, context: dict[str, Any], *,
                    lop_name: str = "", hashes: list[tuple[str, str]] | None = None) -> Any:
    """Render a document for `db`: text for html/csv/txt/typ, PDF bytes for pdf. A Typst
    document carries the LOP's name and the audit head (read now, so after the document's
    own audit record) in its header and footer."""
    if fmt in TYPST_FORMATS:
        from lopdesk.domain.extracts.pdf import page_context

        context = {**context, "page": page_context(db, lop_name or only_area_name(db),
                                                   hashes)}
    return render_context(kind, fmt, context, db.settings.templates_dir)


def only_area_name(db: Database) -> str:
    """The LOP's name when the database holds one area (a document without an area of its
    own, such as a case summary from a file); empty otherwise."""
    from sqlalchemy import select

    from lopdesk.domain.models import Area

    with db.read() as s:
        names = s.execute(select(Area.name).limit(2)).scalars().all()
    return names[0] if len(names) == 1 else ""


def meta(user: str, title: str, generated_at: datetime | None,
         head: tuple[int, str] | None = None) -> dict[str, Any]:
    """The head every document carries: title, when (callers with a database give its
    clock's now, db.now(): a demo's training day), by whom, with which version, and for
    documents of record the audit chain's head they were made at (audit.head), so a copy
    can be checked against the trail later."""
    return {"title": title, "generated_at": generated_at or utcnow(),
            "generated_by": user, "version": __version__,
            "audit_head": {"id": head[0], "hash": head[1]} if head is not None else None}


def audit_document(db: Database, kind: str, entity: str, entity_id: Any,
                   detail: dict[str, Any]) -> None:
    """A document naming children is a read of their data: on record (domain §10)."""
    with db.write() as s:
        require(s, db.user, "documents")
        audit.record(s, db.user, f"document.{kind}", entity, entity_id, detail)


def loads(text: str | None) -> Any:
    """A JSON text of the audit trail or a run record; empty as {}, bad JSON as the text."""
    if not text:
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return text
