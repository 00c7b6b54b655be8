"""The fixed names and the school calendar of the demo area (see demo.py)."""

from __future__ import annotations

from datetime import date, timedelta

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
