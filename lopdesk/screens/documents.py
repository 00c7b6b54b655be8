"""Documents in the app: a document is rendered as plain text in a worker and shown
in a scrollable preview; `s` saves it as html, txt, csv or pdf into a folder (default: the
current directory), `p` saves it as PDF, and a notification gives the path.

The `open_*` helpers are what the palette and the screens call; each asks first for what
it needs (an entry, an area and school year, a run, a case) when the caller does not know.
"""

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Log, Static

from lopdesk import parse
from lopdesk.domain import documents
from lopdesk.files import write_private_atomic
from lopdesk.labels import RUN_STATUS, fmt_date, fmt_datetime, label
from lopdesk.screens.base import DbResults, db_work
from lopdesk.screens.dialogs import FormDialog, FormField
from lopdesk.screens.form_save import form_done
from lopdesk.screens.keys import key_table
from lopdesk.screens.widgets.footer import KeyFooter as Footer
from lopdesk.screens.widgets.picker import case_choices, notice_choices, scope_choices

if TYPE_CHECKING:
    from lopdesk.app import LopdeskApp

FORMAT_LABEL = {"html": "HTML (afdrukken, A4)", "txt": "tekst", "csv": "CSV (rekenblad)",
                "pdf": "PDF (A4)"}


@dataclass
class DocSpec:
    """One document: how to render it in a format, and the file name to save it under."""

    kind: str  # register | notice | report | pv | case (documents.FORMATS)
    title: str
    slug: str
    render: Callable[[Any, str], str | bytes]  # (db, fmt) -> text, or PDF bytes for pdf

    @property
    def formats(self) -> tuple[str, ...]:
        """What the user can save; the Typst source (`typ`) is for template makers."""
        return tuple(f for f in documents.FORMATS[self.kind] if f != "typ")


def wrap_lines(text: str, width: int) -> list[str]:
    """Each line of `text` within `width` where it can be: a longer line continues on the
    next lines, indented two more than it; a single word longer than `width` stays whole."""
    if width < 20:
        return text.split("\n")
    out: list[str] = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        indent = " " * (len(line) - len(line.lstrip(" ")) + 2)
        out += textwrap.wrap(line, width, subsequent_indent=indent, break_long_words=False,
                             break_on_hyphens=False) or [line]
    return out


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "document"


def save_document(db, spec: DocSpec, fmt: str, folder: str) -> Path:
    """Render `spec` in `fmt` and write it into `folder` (created 0750 when missing), whole
    or not at all and 0640, as `lopdesk extract --out` does."""
    data = spec.render(db, fmt)
    where = Path(folder or ".").expanduser()
    path = (where / f"{safe_name(spec.slug)}.{fmt}").resolve()
    return write_private_atomic(path, data if isinstance(data, bytes) else data.encode("utf-8"))


class PreviewScreen(DbResults, Screen):
    """The text rendering of a document, scrollable; `s` saves, Esc goes back."""

    BINDINGS = key_table("preview", """
    escape,q    back                Terug | Eén stap terug
    s           save                Bewaren als… | Het document bewaren: formaat en map kiezen
    p           save_pdf            PDF bewaren | Het document als PDF bewaren
    ctrl+r      rerender            Opnieuw | Het document opnieuw opmaken | hidden
    """)
    DEFAULT_CSS = """
    PreviewScreen #title {
        height: auto; max-height: 3; background: $primary 40%; text-style: bold;
    }
    PreviewScreen Log { height: 1fr; }
    """
    AUTO_FOCUS = "Log"  # focused while composed, before the first key

    def __init__(self, spec: DocSpec) -> None:
        super().__init__()
        self.spec = spec
        self.text: str | None = None
        self.saved: Path | None = None

    @property
    def lapp(self) -> LopdeskApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static(f" Voorbeeld: {self.spec.title} · opmaken…", id="title")
        yield Log(id="preview", auto_scroll=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Log).focus()
        self.action_rerender()

    def action_rerender(self) -> None:
        spec = self.spec

        def render(db):
            return spec.render(db, "txt")

        db_work(self, render, on_done=self._shown, on_error=self._failed, group="render",
                exclusive=True)

    def _shown(self, text: str) -> None:
        if not self.is_attached:
            return
        self.text = text
        self._fill()
        n = text.count("\n") + 1
        self.query_one("#title", Static).update(
            f" Voorbeeld: {self.spec.title} · {n} lijnen · s: bewaren ("
            + "/".join(self.spec.formats) + ") · Esc: terug")

    def _fill(self) -> None:
        """The text with its long lines wrapped at the preview's width: a word is never cut
        off at the edge (the saved file keeps its own lines)."""
        log = self.query_one(Log)
        width = log.scrollable_content_region.width - 1
        log.clear()
        log.write("\n".join(wrap_lines((self.text or "").rstrip("\n"), width)),
                  scroll_end=False)
        log.scroll_home(animate=False)

    def on_resize(self) -> None:
        if self.text is not None:
            self._fill()

    def _failed(self, exc: BaseException) -> None:
        if self.is_attached:  # the app has reported the error
            self.query_one("#title", Static).update(
                f" Voorbeeld: {self.spec.title} · kan niet opgemaakt worden")
            msg = getattr(exc, "message", str(exc))
            self.query_one(Log).write(f"Niet opgemaakt: {msg}")

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_save(self) -> None:
        self._ask_and_save(None)

    def action_save_pdf(self) -> None:
        self._ask_and_save("pdf")

    def _ask_and_save(self, fmt: str | None) -> None:
        """Ask the folder (and the format unless given), then save in a worker."""
        folder = self.lapp.document_folder or os.getcwd()
        fields = [FormField("folder", "Map", value=folder, required=True)]
        if fmt is None:
            fields.insert(0, FormField("fmt", "Formaat", "select", "html",
                                       [(FORMAT_LABEL.get(f, f), f) for f in self.spec.formats],
                                       required=True))
        intro = f"Bestand: {safe_name(self.spec.slug)}.{fmt or '<formaat>'} in de gekozen map."

        def done(values: dict) -> None:
            db_work(self, save_document, self.spec, fmt or values["fmt"], values["folder"],
                    on_done=self._saved, group="save")

        title = f"{self.spec.title} bewaren" + (" als PDF" if fmt == "pdf" else "")
        self.app.push_screen(FormDialog(title, fields, intro=intro, submit="Bewaren",
                                        save=done))

    def _saved(self, path: Path) -> None:
        self.saved = path
        self.lapp.document_folder = str(path.parent)
        # name and folder on lines of their own: a long path is not broken mid-name
        self.app.notify(f"{path.name}\nin {path.parent}", title="Document bewaard", timeout=8)


# --- what the palette and the screens open ---------------------------------------------------


def preview(app: App, spec: DocSpec) -> None:
    app.push_screen(PreviewScreen(spec))


def open_register_extract(app: App, *, level_id: str | None = None,
                          school_id: str | None = None, area_id: str | None = None,
                          pseudonymise: bool = False) -> None:
    scope = level_id or school_id or area_id or ""
    kw: dict[str, Any] = {"level_id": level_id, "school_id": school_id, "area_id": area_id,
                          "pseudonymise": pseudonymise}
    what = "niveau" if level_id else "school" if school_id else "gebied"
    title = f"registeruittreksel {what} {scope}" + (" (pseudoniemen)" if pseudonymise else "")
    preview(app, DocSpec("register", title, f"register-{scope}"
                         + ("-pseudo" if pseudonymise else ""),
                         lambda db, fmt: documents.render_register(db, fmt, **kw)))


def ask_register_extract(app: App) -> None:
    fields = [
        FormField("scope", "Voor", "select", "level",
                  [("één niveau", "level"), ("een school", "school"), ("het gebied", "area")],
                  required=True),
        FormField("id", "Niveau, school of gebied", "level", required=True,
                  placeholder="zoek op naam, school of id…", load=scope_choices),
        FormField("pseudo", "Pseudoniemen (voor de plenaire)", "check", False),
    ]

    def done(v: dict | None) -> None:
        if v is None:
            return
        key = {"level": "level_id", "school": "school_id", "area": "area_id"}[v["scope"]]
        open_register_extract(app, pseudonymise=bool(v["pseudo"]), **{key: v["id"]})

    app.push_screen(FormDialog("Registeruittreksel", fields, submit="Voorbeeld"), done)


def _school_namer(app: App) -> Callable[[str, str], str] | None:
    area = getattr(app, "area", None)
    return area.school_name if area is not None else None


def open_notice(app: App, entry_id: int | None = None, label: str = "",
                child_id: str | None = None) -> None:
    """NGI-01: ask the signing date and signer, then preview (refused when incomplete).
    Without a line, the form picks one of the non-realised lines (of `child_id` when given)."""
    lapp: Any = app
    today = lapp.today() if hasattr(lapp, "today") else None
    titles: dict[str, str] = {}  # what the picked line is called in the preview's title
    fields = [] if entry_id is not None else [
        FormField("entry", "Niet-gerealiseerde inschrijving", "child", required=True,
                  placeholder="zoek op naam, school of kind-id…",
                  load=notice_choices(child_id, _school_namer(app), titles))]
    fields += [
        FormField("signed_on", "Datum van ondertekening", "day",
                  value=fmt_date(today), required=True),
        FormField("signed_by", "Ondertekend door", value=""),
    ]

    def done(v: dict) -> None:
        eid = entry_id if entry_id is not None else int(v["entry"])
        title = label or titles.get(str(eid), str(eid))
        signed = parse.day(v["signed_on"], "Datum van ondertekening")
        kw = {"signed_on": signed, "signed_by": v["signed_by"]}
        preview(app, DocSpec("notice", f"mededeling {title} ({fmt_date(signed)})",
                             f"mededeling-{eid}",
                             lambda db, fmt: documents.render_notice(db, eid, fmt, **kw)))

    app.push_screen(FormDialog("Mededeling van niet-gerealiseerde inschrijving (NGI-01)",
                               fields, submit="Voorbeeld",
                               intro=f"Inschrijving {label}" if label else ""),
                    form_done(app, done))


def area_choices(db: Any) -> list[tuple[str, str]]:
    from lopdesk.domain.directory import list_areas

    return [(f"{a.name} ({a.id})", a.id) for a in list_areas(db)]


def _area_in_view(app: App) -> str | None:
    """The area of the level shown or under the cursor (a register, the overview)."""
    lapp: Any = app
    screen: Any = app.screen
    level_id = getattr(screen, "level_id", None)
    if level_id is None and hasattr(screen, "current_row"):
        row = screen.current_row()
        key = getattr(row, "key", None)
        if isinstance(key, tuple) and key[:1] == ("area",):  # the overview's area line
            return str(key[1])
        data = row.data if row is not None else None
        area = getattr(data, "area_id", None)
        if area:
            return area
        level_id = getattr(data, "level_id", None)
    counters = lapp.area.by_level.get(level_id) if level_id else None
    return counters.area_id if counters is not None else None


def open_report(app: App, area_id: str | None = None, school_year: int | None = None) -> None:
    lapp: Any = app
    counters = lapp.area.levels
    area_id = area_id or _area_in_view(app) or (counters[0].area_id if counters else None)
    # the newest school year of that area (areas can be a year apart, e.g. secondary)
    years = [c.school_year for c in counters if c.area_id == area_id] or [
        c.school_year for c in counters]
    school_year = school_year or (max(years) if years else None)
    fields = [FormField("area", "Gebied", "choice", area_id, required=True, load=area_choices),
              FormField("year", "Schooljaar (beginjaar)", "whole", value=str(school_year or ""),
                        required=True, minimum=2000)]

    def done(v: dict) -> None:
        year = parse.whole(v["year"], "Schooljaar", minimum=2000)
        area = v["area"]
        preview(app, DocSpec("report", f"LOP-rapport {area} {year}-{year + 1}",
                             f"rapport-{area}-{year}",
                             lambda db, fmt: documents.render_report(db, area, year, fmt)))

    app.push_screen(FormDialog("LOP-rapport", fields, submit="Voorbeeld"), form_done(app, done))


def run_choices(pick: FormField) -> Callable[[Any], list[tuple[str, int]]]:
    """The runs to choose from, newest first, each with its round, moment and state; the
    newest run still in force becomes the field's default (the run a PV is usually for)."""

    def load(db: Any) -> list[tuple[str, int]]:
        from lopdesk.domain import allocation

        runs = sorted(allocation.list_runs(db), key=lambda r: -r.id)
        current = next((r for r in runs if r.status == "active"), None)
        if current is not None and pick.value is None:
            pick.value = current.id
        return [(f"toewijzing {r.id} · {r.round_id} · {fmt_datetime(r.started_at)} · "
                 f"{label(RUN_STATUS, r.status)}", r.id) for r in runs]

    return load


def open_pv(app: App, run_id: int | None = None) -> None:
    def show(rid: int) -> None:
        preview(app, DocSpec("pv", f"proces-verbaal toewijzing {rid}", f"pv-run-{rid}",
                             lambda db, fmt: documents.render_pv(db, rid, fmt)))

    if run_id is not None:
        show(run_id)
        return

    def done(v: dict) -> None:
        show(int(v["run"]))

    pick = FormField("run", "Toewijzing", "choice", None, required=True)
    pick.load = run_choices(pick)
    app.push_screen(FormDialog("Proces-verbaal van een toewijzing (ALC-05)", [pick],
                               submit="Voorbeeld"), form_done(app, done))


def open_case_summary(app: App, case_id: int | None = None) -> None:
    """The case summary for the parties; without a case, the form picks one."""

    def show(cid: int) -> None:
        preview(app, DocSpec("case", f"samenvatting dossier {cid}", f"dossier-{cid}",
                             lambda db, fmt: documents.render_case(db, str(cid), fmt)))

    if case_id is not None:
        show(case_id)
        return
    pick = FormField("case", "Bemiddelingsdossier", "child", required=True,
                     placeholder="zoek op naam, dossiernummer, school of kind-id…",
                     load=case_choices)
    app.push_screen(FormDialog("Samenvatting van een bemiddelingsdossier", [pick],
                               submit="Voorbeeld"), form_done(app, lambda v: show(int(v["case"]))))
