"""The fixed names, sizes, moments and school calendar of the demo area (lopdesk.demo)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from lopdesk.labels import BRUSSELS

NEIGHBOURHOODS = [
    "Binnenstad", "Brugse Poort", "Rabot", "Ledeberg", "Sint-Amandsberg", "Gentbrugge",
    "Wondelgem", "Mariakerke", "Drongen", "Oostakker", "Zwijnaarde", "Sint-Denijs-Westrem",
    "Nieuw Gent", "Muide", "Dampoort", "Macharius-Heirnis", "Elisabethbegijnhof-Prinsenhof",
    "Stationsbuurt Noord", "Stationsbuurt Zuid", "Watersportbaan", "Sluizeken-Tolhuis-Ham",
    "Afrikalaan", "Kanaaldorpen", "Moscou-Vogelhoek", "Oud Gentbrugge",
]
SCHOOL_WORDS = [
    "De Regenboog", "De Zonnebloem", "Sint-Jozef", "Het Klavertje", "De Vlinder", "Sint-Paulus",
    "De Kleine Prins", "Het Mozaïek", "De Boomgaard", "Sint-Lievens", "De Wereldreiziger",
    "Het Spoor", "De Toverfluit", "Sint-Barbara", "De Linde", "Het Groene Huis", "De Kameleon",
    "De Bron", "Sint-Vincentius", "Het Kompas",
]
SCHOOL_KINDS = ["Basisschool", "Stedelijke basisschool", "Vrije basisschool", "GO! basisschool"]
FIRST_NAMES = [
    "Lucas", "Emma", "Noah", "Olivia", "Liam", "Louise", "Adam", "Mila", "Arthur", "Alice",
    "Jules", "Juliette", "Louis", "Elena", "Finn", "Nora", "Mohamed", "Yasmine", "Ayoub",
    "Amira", "Vic", "Lena", "Mats", "Fien", "Kobe", "Lotte", "Rayan", "Sara", "Elias", "Lina",
    "Wout", "Marie", "Ilyas", "Hanne", "Bilal", "Zoë", "Milan", "Ella", "Seppe", "Nour",
]
LAST_NAMES = [
    "Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens",
    "Wouters", "De Smet", "Dubois", "Vermeulen", "Van Damme", "De Clercq", "El Amrani",
    "Yilmaz", "Demir", "Van den Broeck", "De Vos", "Hermans", "Aydin", "Bakkali", "Verhaeghe",
    "De Backer", "Vandenberghe", "Coppens", "Lambrecht", "Nowak", "Kaya", "Desmet",
]
OVERCAPACITY = [
    ("old", "*", "sibling_reorientation", "broer of zus bij heroriëntering"),
    ("old", "*", "staff_child", "kind van personeelslid"),
    ("new", "*", "sibling_reorientation", "broer of zus bij heroriëntering"),
    ("new", "*", "re_enrolment", "herinschrijving na tijdelijke uitsluiting"),
    ("new", "*", "ank", "anderstalige nieuwkomer (ANK-capaciteit)"),
]

SIZES = {
    "small": {"schools": 10, "neighbourhoods": 5, "cohort": 400, "sec_schools": 2},
    "normal": {"schools": 100, "neighbourhoods": 25, "cohort": 4000, "sec_schools": 6},
    "large": {"schools": 100, "neighbourhoods": 25, "cohort": 16000, "sec_schools": 6},
}
AREA_ID = "gent-bao"
SEC_AREA_ID = "gent-so"


def local(y: int, m: int, d: int, hh: int = 9, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=BRUSSELS).astimezone(UTC)


def office_hours(moment: datetime) -> datetime:
    """The same day, its position in the day mapped onto 8:00-17:00 Brussels time (keeps
    the order of moments)."""
    loc = moment.astimezone(BRUSSELS)
    midnight = datetime(loc.year, loc.month, loc.day, tzinfo=BRUSSELS)
    seconds = (loc.replace(tzinfo=None) - midnight.replace(tzinfo=None)).total_seconds()
    return local(loc.year, loc.month, loc.day, 8) + timedelta(seconds=int(seconds * 9 / 24))


def school_year_of(day: date) -> int:
    """The school year in progress on `day` (it starts on 1 September)."""
    return day.year if day.month >= 9 else day.year - 1


@dataclass(frozen=True)
class Timeline:
    """The moments of a demo built for `day`: the school year in progress (`current`, its
    registers started last spring) and the one in preparation (`next`). Every generated
    event lies before `cutoff`, the start of the demo day; recent events fall in the window
    of the last 30 days before it (never before the summer's capacity decisions)."""

    day: date
    current: int
    next: int
    cutoff: datetime
    window_start: datetime

    def recent(self, fraction: float) -> datetime:
        """A moment `fraction` (0..1) of the way through the recent window, in office hours."""
        span = (self.cutoff - self.window_start).total_seconds()
        return office_hours(self.window_start + timedelta(seconds=int(span * fraction)))

    @property
    def capacities_set(self) -> datetime:
        """When the next school year's capacities were set (late August)."""
        return local(self.current, 8, 25)


def timeline(day: date) -> Timeline:
    year = school_year_of(day)
    cutoff = local(day.year, day.month, day.day, 0)
    window_start = max(cutoff - timedelta(days=30), local(year, 8, 26))
    return Timeline(day, year, year + 1, cutoff, window_start)


def calendar_days(year: int) -> list[tuple[date, str, str]]:
    """The Flemish school holidays of school year `year` (traditional calendar)."""
    from lopdesk.domain.calendar import easter, spring_break

    days: list[tuple[date, str, str]] = []

    def span(start: date, n: int, label: str, kind: str = "holiday") -> None:
        for i in range(n):
            d = start + timedelta(days=i)
            if d.weekday() < 5:
                days.append((d, kind, label))

    nov1 = date(year, 11, 1)
    autumn = nov1 - timedelta(days=nov1.weekday())  # the week of 1 November
    span(autumn, 7, "herfstvakantie")
    xmas = date(year, 12, 25)
    span(xmas - timedelta(days=xmas.weekday()), 14, "kerstvakantie")
    sb, _ = spring_break(year + 1)
    span(sb, 5, "krokusvakantie")
    e = easter(year + 1)
    span(e - timedelta(days=6), 14, "paasvakantie")
    span(date(year + 1, 5, 1), 1, "dag van de arbeid")
    span(e + timedelta(days=39), 2, "hemelvaart")
    span(e + timedelta(days=50), 1, "pinkstermaandag")
    span(date(year, 10, 12), 1, "facultatieve vrije dag (LOP)", "free_day")
    return sorted(set(days))


# The demo LOP's invented colleagues (name, role, full name): the history the demo invents
# (register lines, decisions, offers, the allocation, notices, mediation) is theirs; only
# the building of the area itself is recorded for the account that ran `lopdesk demo`.
LOP_EXPERT = ("an.deprez", "lop_expert", "An Deprez")
MEDIATOR = ("bram.declercq", "mediation", "Bram De Clercq")
