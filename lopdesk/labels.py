"""The one code→Dutch table: every label and date/number format users see (screens, CLI,
documents).

Codes stay English in the database; the legal terms of domain.md §3 appear here only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BRUSSELS = ZoneInfo("Europe/Brussels")

STATUS = {
    "realised": "gerealiseerd",
    "deferred": "uitgesteld",
    "non_realised": "niet-gerealiseerd",
    "withdrawn": "ingetrokken",
}
STATUS_SHORT = {"realised": "GER", "deferred": "UIT", "non_realised": "NGI", "withdrawn": "INT"}
PRIORITY_GROUP = {
    "sibling_staff": "broer/zus en kind van personeel",
    "sibling": "broer/zus",
    "staff": "kind van personeel",
    "none": "geen voorrang",
}
CONTINGENT = {"indicator": "indicator", "non_indicator": "niet-indicator"}
REGIME = {"old": "oud (2011/2014)", "new": "nieuw (2019/2022)"}
LEVEL_KIND = {
    "nursery_birth_year": "kleuter geboortejaar",
    "primary_grade": "leerjaar",
    "secondary_1a": "1A",
    "secondary_1b": "1B",
    "admin_group": "administratieve groep",
}
# A level's kind as a table row names it, before its label: "kleuters 2024", "leerjaar 1".
LEVEL_KIND_SHORT = {
    "nursery_birth_year": "kleuters",
    "primary_grade": "leerjaar",
    "secondary_1a": "1A",
    "secondary_1b": "1B",
    "admin_group": "adm.groep",
}


def level_words(kind: str, level_label: str, school_year: int | None) -> str:
    """The one way a level is shown to a user, never its code: 'leerjaar 1 · 2026-2027',
    'kleuters 2024 · 2026-2027', '1A · 2026-2027' (not '1A 1A'); without the school year
    (None) where the screen names it once for all its levels ('kleuters 2024')."""
    short = LEVEL_KIND_SHORT.get(kind, kind)
    what = short if level_label == short else f"{short} {level_label}"
    return what if school_year is None else f"{what} · {school_year_label(school_year)}"


DECISION_STATUS = {"pending": "aangevraagd", "approved": "goedgekeurd", "rejected": "afgewezen"}
OFFER_STATUS = {"open": "aangeboden", "accepted": "aanvaard", "declined": "geweigerd",
                "ended": "vervallen"}
# A step of an offer of a freed place in a line's history (WL-01).
OFFER_EVENT = {"offered": "vrijgekomen plaats aangeboden", "accepted": "aanbod aanvaard",
               "declined": "aanbod geweigerd", "ended": "aanbod vervallen",
               "expired": "antwoordtermijn verstreken, geen antwoord"}
# What a step of filling freed places did (WL-01..03): offered, taken, released, refused.
FILL_ACTION = {
    "offered": "aangeboden",
    "accepted": "aanvaard",
    "realised": "gerealiseerd",
    "released": "vrijgegeven",
    "declined": "geweigerd",
}
EDUCATION = {"primary": "basisonderwijs", "secondary": "secundair onderwijs"}
ROUND_STATUS = {"open": "open", "allocated": "toegewezen"}
RUN_STATUS = {"active": "geldig", "replaced": "vervangen"}
PERIOD_KIND = {"priority": "voorrangsperiode", "free": "vrije inschrijving"}
# The same in the periods table, whose title says 'periodes' (the long word did not fit
# beside two moments at 80 columns and was broken in two).
PERIOD_KIND_SHORT = {"priority": "voorrang", "free": "vrije inschrijving"}
PERIOD_PHASE = {"planned": "gepland", "running": "loopt", "ended": "afgelopen",
                "closed": "afgesloten"}
ROUNDING_RULE = {"half_up": "half naar boven", "down": "naar beneden", "up": "naar boven"}
# The allocation's choices per level and round (ALC-02, ALC-03).
PRECEDENCE = {
    "priority_first": "eerst voorrangsgroepen",
    "contingent": "dubbele contingentering (indicator / niet-indicator)",
}
CRITERION = {
    "random": "toeval",
    "distance": "afstand (dichtstbij eerst)",
    "rank+random": "eerst keuzevolgorde, dan toeval",
    "rank+distance": "eerst keuzevolgorde, dan afstand",
}
TIEBREAK = {
    "single": "één lotnummer per kind voor alle scholen",
    "multiple": "één lotnummer per kind en per school",
}
# ALC-06: what an application of a child came to.
EXPLAIN_OUTCOME = {"assigned": "toegewezen", "waiting": "wachtlijst", "not_needed": "niet nodig"}
REASON = {
    "capacity": "capaciteit bereikt",
    "full_declaration": "volzet",
    "waiting_list": "wachtlijst heeft voorrang",
    "allocation": "aanmeldingsprocedure",
}
# Mediation (domain §7, §8): refusal grounds of a notice, delivery, cases and proposals.
REFUSAL_REASON = {**REASON, "exclusion": "uitsluiting na tuchtprocedure", "other": "andere reden"}
NOTICE_MODE = {"receipt": "tegen ontvangstbewijs", "registered_post": "aangetekend"}
NOTICE_SENDER = {"school": "school", "lop": "LOP (mandaat van de school)"}
CASE_STATUS = {"open": "lopend", "waiting": "wacht op antwoord", "closed": "afgesloten"}
CASE_TRIGGER = {"parent_request": "vraag van de ouders", "automatic": "automatisch"}
CASE_OUTCOME = {
    "same_school": "ingeschreven in dezelfde school",
    "other_school": "ingeschreven in een andere school",
    "no_agreement": "geen akkoord",
    "withdrawn": "ingetrokken",
}
# The allocation engine's run record (formats.md), for the PV and `allocate explain`; the
# engine and its files keep the codes.
LOTTERY = {
    "drawn from seed and child id": "afgeleid van zaad en kind-id",
    "given": "gegeven in de invoer",
}
RUN_OPTION = {"tiebreak": "loting", "improve": "verbeteringscycli", "lottery": "lotnummers"}
RUN_COUNT = {
    "applications": "aanmeldingen", "children": "kinderen", "levels": "niveaus",
    "places": "plaatsen", "placed": "met een toewijzing", "unplaced": "zonder toewijzing",
    "first_choice": "toewijzing eerste keuze", "proposals": "voorstellen",
    "da_rounds": "rondes uitgestelde aanvaarding", "improvement_cycles": "verbeteringscycli",
    "improved_children": "kinderen beter af door verbetering",
}
# The names of the command line's arguments (its metavars) in help and messages, by the
# parameter's name in code; an argument missing here shows its code name (a test forbids it).
ARGUMENT = {
    "area": "GEBIED", "area_arg": "GEBIED", "area_id": "GEBIED", "capacity": "CAPACITEIT",
    "case_id": "DOSSIER", "child": "KIND", "code": "CODE", "day": "DAG",
    "decision": "BESLISSING", "declaration": "VERKLARING", "entry": "INSCHRIJVING",
    "file": "BESTAND", "input_dir": "INVOERMAP", "kind": "SOORT", "level": "NIVEAU",
    "levels": "NIVEAUS", "name": "NAAM", "notice_id": "MEDEDELING", "offer_id": "AANBIEDING",
    "path": "PAD", "period_id": "PERIODE", "proposal_id": "VOORSTEL", "role": "ROL",
    "round_id": "RONDE", "run": "TOEWIJZING", "search": "ZOEKTEKST", "target": "DOEL",
    "text": "TEKST", "to": "STATUS", "value": "WAARDE", "year": "JAAR",
}
PARTY_ROLE = {"parents": "ouders", "school": "school", "clb": "CLB", "lop": "LOP",
              "mediator": "bemiddelaar", "other": "andere"}
CASE_EVENT_KIND = {
    "opened": "geopend", "refusal": "weigering", "party": "partij", "meeting": "overleg",
    "contact": "contact", "proposal": "voorstel", "answer": "antwoord",
    "clr_complaint": "klacht CLR", "note": "notitie", "closed": "afgesloten",
}
PROPOSAL_ANSWER = {"accepted": "aanvaard", "declined": "geweigerd"}
# MED-02: a proposal without an answer waits for one while its case runs; once the case is
# closed nobody answers it any more (the stored answer stays empty, it reads as lapsed).
PROPOSAL_UNANSWERED = {"pending": "wacht op antwoord", "lapsed": "vervallen (dossier afgesloten)"}
PROPOSAL_UNANSWERED_SHORT = {"pending": "wacht", "lapsed": "vervallen"}


def proposal_answer(answer: str | None, case_status: str, short: bool = False) -> str:
    """What a proposal's answer reads as: the answer, or still pending, or lapsed (the
    short form for a narrow column, whose screen says why)."""
    if answer:
        return PROPOSAL_ANSWER.get(answer, answer)
    unanswered = PROPOSAL_UNANSWERED_SHORT if short else PROPOSAL_UNANSWERED
    return unanswered["lapsed" if case_status == "closed" else "pending"]


# Short forms for narrow table columns (screens); the full labels above stay the reference.
TIEBREAK_SHORT = {"single": "één lot per kind", "multiple": "één lot per kind en school"}
PRIORITY_GROUP_SHORT = {"sibling_staff": "BZ+P", "sibling": "BZ", "staff": "P", "none": "-"}
CONTINGENT_SHORT = {"indicator": "I", "non_indicator": "NI"}
REGIME_SHORT = {"old": "oud", "new": "nieuw"}


def short_legend(title: str, short: dict[str, str], full: dict[str, str]) -> str:
    """What a column's short codes mean: 'St = status: GER gerealiseerd, UIT uitgesteld, …'."""
    return f"{title}: " + ", ".join(f"{short[code]} {full[code]}" for code in short)


# REG-01: the mark of a line whose timestamp is earlier than the previous number's; the app
# writes it after the number ("12!"), `lopdesk register list` as the flag "tijdstip!".
OUT_OF_ORDER = "tijdstip vóór dat van het vorige nummer"
OUT_OF_ORDER_APP = f"Nr! = {OUT_OF_ORDER} (REG-01)"
OUT_OF_ORDER_CLI = f"tijdstip! = {OUT_OF_ORDER}; de volgorde blijft die van de nummers (REG-01)"


# What every column title, abbreviation and mark a screen shows means, per screen (its id):
# the help of that screen lists them ("key = meaning"); a test walks the screens and fails
# on one that is shown but not here. Meanings several screens share come from _MEANS.
_MEANS = {
    "St": short_legend("status", STATUS_SHORT, STATUS),
    "Vr": short_legend("voorrang", PRIORITY_GROUP_SHORT, PRIORITY_GROUP),
    "C": short_legend("contingent", CONTINGENT_SHORT, CONTINGENT),
    "Id": "kind-id",
    "#n": "plaats op de wachtlijst, in volgorde (WL-01)",
    "Rn": "nummer op de wachtlijst van de aanmeldingsprocedure (R-nummer, REG-07)",
    "periode": "uitgesteld tot het einde van de voorrangsperiode (REG-05)",
    "verstreken": "de uiterste datum is voorbij: de wachtlijst bindt niet meer (WL-01)",
    "aangeboden": "een vrijgekomen plaats is aangeboden; wacht op het antwoord (WL-01)",
    "Vrij": "vrije plaatsen: capaciteit − zittende leerlingen − gerealiseerd (CAP-04)",
    "CLR": "Commissie inzake Leerlingenrechten, klacht tot 30 dagen na de mededeling",
    "rondes uitgestelde aanvaarding": "hoe vaak de loting rondging: in elke ronde stelt elk "
                                      "kind dat nog geen plaats heeft zich kandidaat bij zijn "
                                      "volgende keuze; een school houdt de best gerangschikten "
                                      "voorlopig aan tot niemand meer verschuift (ALC-01)",
    "verbeteringscycli": "ruilen na de loting (als 'verbeteren' aan stond): kinderen die "
                         "elk de plaats van de ander liever hebben, ruilen zonder dat de "
                         "toewijzing voor iemand anders onrechtvaardig wordt (ALC-07)",
    "kinderen beter af door verbetering": "kinderen die door die ruil een betere keuze "
                                          "kregen (ALC-07)",
}
_SCREEN_MEANS: dict[str, dict[str, str]] = {
    "overview": {
        "Σ": "som van de niveaus eronder: 'Σ Gebied' telt één gebied; de regel onder de "
             "tabel telt alle getoonde niveaus, van alle getoonde gebieden samen (een "
             "deelgebied inbegrepen) en is dan groter dan één Σ-rij",
        "▾ ▸": "school opengeklapt / dichtgeklapt (Enter)",
        "Vrij": "", "LOP-bord": "vrije plaatsen zoals gemeld op het LOP-bord (CAP-05)",
        "≠": "LOP-bord wijkt af van de berekende vrije plaatsen",
        "Cap": "capaciteit", "Zit": "zittende leerlingen", "Ger": "gerealiseerd",
        "Uit": "uitgesteld", "NGI": "niet-gerealiseerd",
        "I/NI": "indicator / niet-indicator (aantal per contingent)",
        "Wacht": "kinderen op een wachtlijst die nog bindt (WL-01)",
        "(n)": "wachtlijst die niet meer bindt (na de uiterste datum, WL-01); niet in Σ",
        "Ovc": "overcapaciteit: ingeschreven boven de capaciteit (CAP-07)",
        "Reg": "regime: oud (2011/2014) of nieuw (2019/2022)",
        "VZ": "volzet verklaard (CAP-06)", "Gewijzigd": "laatste wijziging in het register",
    },
    "deferred": {
        "Id": "", "#": "aantal scholen waar het kind uitgesteld of niet-gerealiseerd is",
        "Termijn": "tot die dag bindt de volgorde van de wachtlijst (WL-01)",
        "periode": "", "verstreken": "",
        "Elders": "ja: het kind is al ingeschreven (gerealiseerd) in een andere school, "
                  "voor hetzelfde schooljaar en leerjaar (MED-01); welke, staat achteraan "
                  "bij de scholen ('ingeschreven in …')",
        "Scholen en posities": "per school het niveau, de status en de plaats op de "
                               "wachtlijst (#n, met het R-nummer)",
        "St": "", "#n": "", "Rn": "",
    },
    "capacity": {
        "Id": "nummer van de aanvraag of van de verklaring",
        "Cap→": "capaciteit nu → gevraagde capaciteit (CAP-03)",
        "Groepen (aantal bij verklaring)": "de volzet verklaarde groepen met hun aantal "
                                           "leerlingen op dat moment (CAP-06)",
        "Opgeheven": "wanneer de verklaring werd opgeheven; 'actief': ze geldt nog",
        "adm.groep": "administratieve groep: een klasgroep van het secundair met een eigen "
                     "nummer; volzet verklaren gebeurt per groep (CAP-06)",
    },
    "allocation": {
        "Nr": "nummer van de toewijzing",
        "Zaad": "lotingszaad: het getal waaruit de loting de volgorde van gelijk gerangschikte "
                "kinderen trekt; het wordt bewaard, zodat dezelfde invoer met hetzelfde zaad "
                "dezelfde toewijzing geeft (ALC-05)",
        "Geplaatst": "kinderen met een toewijzing", "Zonder": "kinderen zonder toewijzing",
        "rondes uitgestelde aanvaarding": "", "verbeteringscycli": "",
        "kinderen beter af door verbetering": "",
    },
    "results": {
        "Cap": "capaciteit", "Toegew.": "toegewezen plaatsen",
        "Ind.": "waarvan indicatorleerlingen",
        "Grens": "het laatst toegelaten kind: zijn rangnummer ('nr. 31'), ervoor zijn "
                 + short_legend("voorranggroep", {k: v for k, v in PRIORITY_GROUP_SHORT.items()
                                                  if k != "none"}, PRIORITY_GROUP)
                 + " (ALC-06)",
        "Niveau-id": "code van het niveau", "Niveau-ids": "codes van de niveaus van de "
                                                          "wachtlijsten",
        "rondes uitgestelde aanvaarding": "", "verbeteringscycli": "",
        "kinderen beter af door verbetering": "",
    },
    "mediation": {
        "Nr": "dossiernummer", "Id": "",
        "Termijn": "eerstvolgende termijn van het dossier (mededeling, klacht CLR, wachtlijst)",
        "Vs": "aantal voorstellen van een school (MED-03)",
        "Scholen": "de scholen die het kind weigerden",
    },
    "case": {
        "Vs": "nummer van het voorstel (MED-03)", "Vrij": "vrije plaatsen van dat niveau nu",
        "Afst.": "afstand van het adres van het kind tot de school",
        "Antwoord": "antwoord van de ouders; 'wacht': nog geen; 'vervallen': dossier zonder "
                    "antwoord afgesloten",
    },
    "childfile": {
        "Nr": "registernummer", "St": "", "Pos": "plaats op de wachtlijst (#n)", "#n": "",
        "Wachtl.": "de wachtlijst bindt t.e.m. die dag (WL-01); grijs: bindt niet meer",
        "Mededeling": "mededeling van niet-gerealiseerde inschrijving (NGI-01); 'ontbreekt': "
                      "nog niet geregistreerd",
        "LAAT": "mededeling later dan 4 dagen na de weigering (NGI-02)",
        "Klacht CLR t.e.m.": "laatste dag voor een klacht bij de CLR (NGI-04)", "CLR": "",
    },
    "register": {
        "Nr": "registernummer: de volgorde van inschrijving (REG-01)",
        "Nr!": f"{OUT_OF_ORDER} (REG-01)",
        "St": "", "Wacht/reden": "plaats op de wachtlijst, R-nummer, aanbod of reden",
        "#n": "", "Rn": "", "aangeboden": "", "periode": "", "Vr": "", "C": "", "Id": "",
        "Overcap.": "categorie van een inschrijving boven de capaciteit (CAP-07)",
    },
    "offers": {
        "aangeboden": "", "Antw. t.e.m.": "de ouders antwoorden uiterlijk die dag (WL-01)",
        "Nr": "registernummer van het kind", "Niveau-id": "code van het niveau",
        "verlopen": "geen antwoord op tijd: registreer de weigering",
    },
}


def legend(screen_id: str) -> tuple[str, ...]:
    """The help's legend of a screen: 'key = meaning' for every title and mark it shows."""
    return tuple(f"{key} = {text or _MEANS[key]}"
                 for key, text in _SCREEN_MEANS.get(screen_id, {}).items())


def label(table: dict[str, str], code: str | None) -> str:
    """The Dutch label of a code; an unknown code is shown as it is (never hidden)."""
    if code is None:
        return ""
    return table.get(code, code)


def yes_no(value: bool | None) -> str:
    """Booleans on screen: ja/nee (never True/False)."""
    if value is None:
        return ""
    return "ja" if value else "nee"


def contingent_counts(counts: dict[str, int] | None) -> str:
    """{'indicator': 3, 'non_indicator': 5} as 'indicator 3, niet-indicator 5'."""
    if not counts:
        return "geen contingenten"
    return ", ".join(f"{label(CONTINGENT, k)} {v}" for k, v in counts.items())


def level_counts(levels: list[tuple[str, int]] | list[list] | None) -> str:
    """Administrative groups with their count: 'SO1-6247 (25 lln.), SO1-6248 (26 lln.)'."""
    return ", ".join(f"{lv} ({n} lln.)" for lv, n in (levels or []))


def free_places_board(field: str) -> str:
    """CAP-05: the LOP free-places field as shown on the board."""
    if field == "":
        return "Nog plaatsen vrij"
    if field == "0":
        return "0 (volzet)"
    if field == "JA":
        return "JA"
    return field


def to_local(value: datetime) -> datetime:
    return value.astimezone(BRUSSELS)


def local_day(moment: datetime) -> date:
    """The Brussels calendar day of a moment: from 22:00 or 23:00 UTC that is already the
    next day, so a UTC moment's own .date() would be a day behind."""
    return to_local(moment).date()


def fmt_datetime(value: datetime | None) -> str:
    """Register timestamps are shown in Brussels time to the second."""
    if value is None:
        return ""
    return to_local(value).strftime("%d/%m/%Y %H:%M:%S")


def fmt_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value)
    return value.strftime("%d/%m/%Y")


def parse_local_datetime(text: str) -> datetime:
    """ISO 8601; a value without a zone is Brussels local time. Returns aware UTC."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=BRUSSELS)
    return value.astimezone(UTC).replace(microsecond=0)


def school_year_label(year: int) -> str:
    return f"{year}-{year + 1}"


# --- screens: titles, colours and table cells -----------------------------------------

# The title of each screen (its id in code is English): main screens first, in the order of
# their number keys 1-5, then the screens opened on top of them (the breadcrumb's steps).
SCREEN_TITLE = {
    "overview": "Overzicht",
    "deferred": "Uitgesteld / Niet-gerealiseerd",
    "capacity": "Capaciteit",
    "allocation": "Toewijzing",
    "mediation": "Bemiddeling",
    "register": "Register",
    "results": "Resultaten",
    "case": "Dossier",
    "childfile": "Dossier kind",
    "preview": "Voorbeeld",
    "help": "Help",
    "periods": "Periodes",
    "offers": "Aanbiedingen",
}
MODES = ("overview", "deferred", "capacity", "allocation", "mediation")


def plural(n: int, one: str, many: str) -> str:
    """'1 kind', '2 kinderen', '0 kinderen'."""
    return f"{n} {one if n == 1 else many}"


# Status colours; the short code is always shown too (never colour as the only signal).
STATUS_STYLE = {
    "realised": "green",
    "deferred": "yellow",
    "non_realised": "red",
    "withdrawn": "bright_black",
}


def board_cell(field: str) -> tuple[str, str]:
    """CAP-05: '0' is the only value shown as full/red; JA and numbers mean places."""
    text = free_places_board(field)
    if field == "0":
        return text, "bold white on red"
    if field == "JA":
        return text, "bold green"
    if field == "":
        return text, "green"
    return text, "bold green"


def status_cell(status: str) -> tuple[str, str]:
    return STATUS_SHORT.get(status, status), STATUS_STYLE.get(status, "")


def num(value: int | None) -> str:
    return "-" if value is None else str(value)


def decimal(value: float, digits: int = 1) -> str:
    """A number with a decimal comma, as written in Dutch: 68,8."""
    return f"{value:.{digits}f}".replace(".", ",")


def distance(metres: float) -> str:
    """A distance as read on a map: '850 m', '3,4 km'."""
    return f"{decimal(metres / 1000)} km" if metres >= 1000 else f"{metres:.0f} m"


def exact_dt(value: datetime | None) -> str:
    """A moment to the minute, with its seconds only when they are not zero: exact, and
    short where a rule sets it on the minute (a period's start and end)."""
    if value is None:
        return ""
    text = fmt_datetime(value)
    return text[:16] if text.endswith(":00") else text


def short_dt(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return fmt_datetime(value)[:16]
    return fmt_date(value)


# Keys as printed on a keyboard (footer, help, palette); others as Textual shows them.
KEY_NAME = {
    "escape": "Esc", "enter": "Enter", "tab": "Tab", "space": "Spatie", "delete": "Del",
    "backspace": "Backspace", "insert": "Ins", "home": "Home", "end": "End",
    "pageup": "PgUp", "pagedown": "PgDn", "up": "↑", "down": "↓", "left": "←", "right": "→",
    **{f"f{i}": f"F{i}" for i in range(1, 13)},
}
