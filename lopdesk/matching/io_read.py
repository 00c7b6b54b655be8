"""Reading the allocation input folder of formats.md: every cell through csvin, every
check with its file, line and column. `lopdesk.matching.io` assembles the Problem."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from lopdesk.errors import ImportError_
from lopdesk.matching import csvbulk
from lopdesk.matching.codes import CRITERIA, PRECEDENCES, PRIORITY_GROUPS
from lopdesk.matching.csvin import (
    CONTROL,
    MAX_CAPACITY,
    MAX_RANK,
    CsvFile,
    decode,
    int_problem,
    is_insz,
    parse_int,
    separator,
)
from lopdesk.matching.csvout import IdColumn, id_column

DEFAULT_PRIORITY_ORDER = "sibling_staff>sibling>staff"
KNOWN_GROUPS = frozenset(PRIORITY_GROUPS)


def _rows(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """(line, row) of every non-blank row, each cell checked by csvin."""
    if not path.is_file():
        raise ImportError_(path.name, 0, None, f"bestand ontbreekt in {path.parent}")
    reader = CsvFile(path.name, path.read_bytes(), required)
    return [(reader.line, row) for row in reader.rows()]


def _required(name: str, line: int, row: dict[str, str], col: str) -> str:
    value = row.get(col, "")
    if value == "":
        raise ImportError_(name, line, col, "lege verplichte waarde")
    return value


def _int(name: str, line: int, row: dict[str, str], col: str, default: int | None = None,
         minimum: int = 0, maximum: int | None = None) -> int:
    raw = row.get(col, "")
    if raw == "":
        if default is None:
            raise ImportError_(name, line, col, "lege verplichte waarde")
        return default
    value = parse_int(raw)
    if value is None:
        raise ImportError_(name, line, col, int_problem(raw))
    if value < minimum:
        raise ImportError_(name, line, col, f"{value} is kleiner dan {minimum}")
    if maximum is not None and value > maximum:
        raise ImportError_(name, line, col, f"{value} is groter dan {maximum}")
    return value


def read_levels(input_dir: Path) -> tuple:
    """levels.csv: ids, schools, names, capacities, reserves, precedence, criterion and
    priority order per level, and the index of each id."""
    name = "levels.csv"
    level_ids: list[str] = []
    school_ids: list[str] = []
    level_names: list[str] = []
    caps, r_ind, r_non, prec, crit, orders = [], [], [], [], [], []
    level_index: dict[str, int] = {}
    for line, row in _rows(input_dir / name, ("level_id", "school_id", "capacity")):
        lid = _required(name, line, row, "level_id")
        if lid in level_index:
            raise ImportError_(name, line, "level_id", f"niveau '{lid}' staat er twee keer")
        sid = _required(name, line, row, "school_id")
        cap = _int(name, line, row, "capacity", maximum=MAX_CAPACITY)
        ri = _int(name, line, row, "reserved_indicator", default=0, maximum=MAX_CAPACITY)
        rn = _int(name, line, row, "reserved_non_indicator", default=0, maximum=MAX_CAPACITY)
        if ri + rn > cap:
            raise ImportError_(name, line, "reserved_indicator",
                               f"gereserveerde plaatsen ({ri} + {rn}) boven de capaciteit {cap}")
        p = row.get("precedence", "") or "priority_first"
        if p not in PRECEDENCES:
            raise ImportError_(name, line, "precedence",
                               f"onbekende voorrang '{p}' (priority_first of contingent)")
        c = row.get("criterion", "") or "random"
        if c not in CRITERIA:
            raise ImportError_(name, line, "criterion",
                               f"onbekend criterium '{c}' ({', '.join(CRITERIA)})")
        raw_order = row["priority_order"] if "priority_order" in row else DEFAULT_PRIORITY_ORDER
        groups = [g.strip() for g in raw_order.split(">")] if raw_order.strip() else []
        if any(not g for g in groups) or len(set(groups)) != len(groups):
            raise ImportError_(name, line, "priority_order",
                               f"ongeldige volgorde '{raw_order}' "
                               "(bv. sibling_staff>sibling>staff)")
        if "none" in groups:
            raise ImportError_(name, line, "priority_order", "'none' is geen voorrangsgroep")
        level_index[lid] = len(level_ids)
        level_ids.append(lid)
        school_ids.append(sid)
        level_names.append(row.get("name", "") or lid)
        caps.append(cap)
        r_ind.append(ri)
        r_non.append(rn)
        prec.append(PRECEDENCES.index(p))
        crit.append(CRITERIA.index(c))
        orders.append(groups)
    return (level_ids, school_ids, level_names, caps, r_ind, r_non, prec, crit, orders,
            level_index)


def read_children(input_dir: Path, tiebreak: str) -> tuple:
    """children.csv: the index of each id, the ids, indicators and given lottery numbers."""
    name = "children.csv"
    bulk = _bulk_children(input_dir / name)
    if bulk is not None:
        return bulk
    child_index: dict[str, int] = {}
    child_ids: list[str] = []
    indicator: list[bool] = []
    given: list[float | None] = []
    for line, row in _rows(input_dir / name, ("child_id", "indicator")):
        cid = _required(name, line, row, "child_id")
        if cid in child_index:
            raise ImportError_(name, line, "child_id", f"kind '{cid}' staat er twee keer")
        ind = _required(name, line, row, "indicator")
        if ind not in ("0", "1"):
            raise ImportError_(name, line, "indicator", f"'{ind}' moet 0 of 1 zijn")
        raw = row.get("lottery", "")
        lot: float | None = None
        if raw != "":
            try:
                lot = float(raw.replace(",", "."))
            except ValueError:
                raise ImportError_(name, line, "lottery", f"'{raw}' is geen getal") from None
            if not (0.0 <= lot < 1.0) or math.isnan(lot):
                raise ImportError_(name, line, "lottery", f"{raw} ligt niet in [0,1)")
            if tiebreak == "multiple":
                raise ImportError_(name, line, "lottery",
                                   "een gegeven lotnummer kan enkel met --tiebreak single")
        child_index[cid] = len(child_ids)
        child_ids.append(cid)
        indicator.append(ind == "1")
        given.append(lot)
    if any(g is not None for g in given) and any(g is None for g in given):
        first = next(i for i, g in enumerate(given) if g is None)
        raise ImportError_(name, first + 2, "lottery",
                           f"kind '{child_ids[first]}' heeft geen lotnummer terwijl andere "
                           "kinderen er een hebben: geef ze allemaal of geen enkel")
    return child_index, child_ids, indicator, given


def _slow_applications(path: Path, child_index: Mapping[str, int], level_index: dict[str, int],
                       crit: list[int], orders: list[list[str]]) -> tuple:
    """Row by row, every check of formats.md with its line and column."""
    name = path.name
    known_groups = {"none", "sibling_staff", "sibling", "staff"} | {g for o in orders for g in o}
    apps: list[tuple[int, int, int, str, float]] = []
    seen: dict[int, dict[int, int]] = {}
    seen_level: dict[tuple[int, int], int] = {}
    for line, row in _rows(path, ("child_id", "rank", "level_id")):
        cid = _required(name, line, row, "child_id")
        if cid not in child_index:
            raise ImportError_(name, line, "child_id", f"kind '{cid}' staat niet in children.csv")
        rank = _int(name, line, row, "rank", minimum=1, maximum=MAX_RANK)
        lid = _required(name, line, row, "level_id")
        if lid not in level_index:
            raise ImportError_(name, line, "level_id", f"niveau '{lid}' staat niet in levels.csv")
        c, lv = child_index[cid], level_index[lid]
        if rank in seen.setdefault(c, {}):
            raise ImportError_(name, line, "rank",
                               f"kind '{cid}' heeft al een keuze {rank} (regel {seen[c][rank]})")
        if (c, lv) in seen_level:
            raise ImportError_(name, line, "level_id", f"kind '{cid}' koos '{lid}' al "
                               f"(regel {seen_level[(c, lv)]})")
        seen[c][rank] = line
        seen_level[(c, lv)] = line
        group = row.get("priority_group", "") or "none"
        if group not in known_groups:
            raise ImportError_(name, line, "priority_group",
                               f"onbekende voorrangsgroep '{group}' (geen niveau noemt ze)")
        raw = row.get("distance_m", "")
        dist = math.nan
        if raw != "":
            try:
                dist = float(raw.replace(",", "."))  # a decimal comma in a ';' file
            except ValueError:
                raise ImportError_(name, line, "distance_m", f"'{raw}' is geen getal") from None
            if not math.isfinite(dist) or dist < 0:
                raise ImportError_(name, line, "distance_m", f"afstand {raw} moet ≥ 0 zijn")
        if math.isnan(dist) and CRITERIA[crit[lv]] in ("distance", "rank+distance"):
            raise ImportError_(name, line, "distance_m",
                               f"niveau '{lid}' ordent op afstand: de afstand ontbreekt")
        apps.append((c, rank, lv, group, dist))
    n = len(apps)
    return (np.fromiter((a[0] for a in apps), dtype=np.int64, count=n),
            np.fromiter((a[1] for a in apps), dtype=np.int64, count=n),
            np.fromiter((a[2] for a in apps), dtype=np.int64, count=n),
            np.fromiter((a[4] for a in apps), dtype=np.float64, count=n),
            np.array([a[3] for a in apps], dtype=str) if n else np.array([], dtype=str))


_DIGIT_RUN = re.compile(r"[0-9][0-9 .\-]{9,}[0-9]")


def _insz_like(text: str) -> bool:
    return any(is_insz(m.group()) for m in _DIGIT_RUN.finditer(text))


def _fast_applications(path: Path, child_index: Mapping[str, int], level_index: dict[str, int],
                       crit: list[int]) -> tuple | None:
    """The same result as `_slow_applications` for a plain, correct file, with string
    splitting and whole-column numpy conversions; None as soon as anything is unusual
    (quotes, ragged lines, a bad value): the slow reader then names the place."""
    try:
        text = decode(path.name, path.read_bytes())
    except (OSError, ImportError_):
        return None
    if separator(text) == ";":  # a plain ';' file is read as a ',' file
        if "," in text:
            return None
        text = text.replace(";", ",")
    if '"' in text or "\r" in text.replace("\r\n", "\n"):
        return None
    if CONTROL.search(text.replace("\r\n", "\n").replace("\n", "")) or _insz_like(text):
        return None  # the slow reader names the place of a control character or an INSZ
    lowered = text.lower()
    if "nan" in lowered or "inf" in lowered:  # let the slow reader judge such numbers
        return None
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        return None
    header = [h.strip() for h in lines[0].split(",")]
    width = len(header)
    n = len(lines) - 1
    if len(set(header)) != width or not all(c in header for c in ("child_id", "rank",
                                                                  "level_id")):
        return None
    if n == 0:
        return (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64),
                np.zeros(0, np.float64), np.array([], dtype=str))
    flat = ",".join(lines[1:]).split(",")
    if len(flat) != width * n or text.count(",") != (width - 1) * (n + 1):
        return None  # a line with too many or too few fields

    def col(name: str) -> list[str] | None:
        return flat[header.index(name)::width] if name in header else None

    children = list(map(child_index.get, col("child_id")))  # type: ignore[arg-type]
    levels = list(map(level_index.get, col("level_id")))  # type: ignore[arg-type]
    if None in children or None in levels:
        return None
    child = np.array(children, dtype=np.int64)
    level = np.array(levels, dtype=np.int64)
    try:
        rank = np.array(col("rank"), dtype=np.int64)
    except (ValueError, OverflowError):
        return None
    if (rank < 1).any() or (rank > MAX_RANK).any():
        return None
    groups_col = col("priority_group")
    if groups_col is None:
        group = np.full(n, "none")
    else:
        if not set(groups_col) <= KNOWN_GROUPS | {""}:
            return None  # another group than the standard ones: let the slow reader check
        group = np.array(groups_col, dtype=str)
        group[group == ""] = "none"
    dist_col = col("distance_m")
    if dist_col is None:
        dist = np.full(n, np.nan)
    else:
        empty = np.array([x == "" for x in dist_col], dtype=bool)
        try:
            dist = np.array([x or "nan" for x in dist_col], dtype=np.float64)
        except ValueError:
            return None
        if (dist[~empty] < 0).any():
            return None
    on_distance = np.isin(np.array(crit, dtype=np.int64)[level], (1, 3))
    if (on_distance & np.isnan(dist)).any():
        return None
    for a, b in ((child, rank), (child, level)):  # duplicate choice or rank of a child
        key = np.sort(a * np.int64(max(int(b.max()) + 1, 1)) + b)
        if (key[1:] == key[:-1]).any():
            return None
    return child, rank, level, dist, group


class GroupNames:
    """Per application the name of its priority group, kept as codes into a small table."""

    def __init__(self, table: list[str], codes: np.ndarray):
        self.table, self.codes = table, codes

    def __getitem__(self, app: int) -> str:
        return self.table[int(self.codes[app])]

    def __len__(self) -> int:
        return int(self.codes.size)


def _bulk_children(path: Path) -> tuple | None:
    """read_children for a plain file without lottery numbers, on whole columns; None
    when anything is unusual (the row-by-row reader then names the place)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    cols = csvbulk.columns(path.name, raw, ("child_id", "indicator"),
                           ("child_id", "indicator", "lottery"))
    if cols is None or ("lottery" in cols and (cols["lottery"] != b"").any()):
        return None
    ids, ind = cols["child_id"], cols["indicator"]
    if (ids == b"").any() or not ((ind == b"0") | (ind == b"1")).all():
        return None
    ranked = np.sort(ids)
    if (ranked[1:] == ranked[:-1]).any():
        return None  # a child twice
    child_ids = id_column(ids)
    return IndexOf(child_ids), child_ids, (ind == b"1").tolist(), [None] * len(child_ids)


class IndexOf(Mapping[str, int]):
    """The position of each id of a list, as a dict built only when it is first asked
    (the bulk readers look ids up on arrays; only the row-by-row readers need it)."""

    def __init__(self, ids: list[str]) -> None:
        self._ids, self._index = ids, None

    def _built(self) -> dict[str, int]:
        if self._index is None:
            self._index = dict(zip(self._ids, range(len(self._ids)), strict=True))
        return self._index

    def __getitem__(self, key: str) -> int:
        return self._built()[key]

    def __contains__(self, key: object) -> bool:
        return key in self._built()

    def __iter__(self) -> Iterator[str]:
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._ids)


def _as_bytes(ids: list[str]) -> np.ndarray | None:
    if isinstance(ids, IdColumn) and ids.column is not None:
        return ids.column
    try:
        return np.array(ids, dtype="S") if ids else np.zeros(0, dtype="S1")
    except UnicodeEncodeError:
        return None  # non-ASCII ids: the string reader handles them


def bulk_applications(path: Path, child_ids: list[str], level_ids: list[str],
                      crit: list[int]) -> tuple | None:
    """The result of `_fast_applications` on whole byte columns (see csvbulk), with the
    groups as (table, codes); None when anything is unusual."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    cols = csvbulk.columns(path.name, raw, ("child_id", "rank", "level_id"),
                           ("child_id", "rank", "level_id", "priority_group", "distance_m"))
    known_children, known_levels = _as_bytes(child_ids), _as_bytes(level_ids)
    if cols is None or known_children is None or known_levels is None:
        return None
    child = csvbulk.index_of(cols["child_id"], known_children)
    level = csvbulk.index_of(cols["level_id"], known_levels)
    rank = csvbulk.small_int(cols["rank"], 1, MAX_RANK)
    if child is None or level is None or rank is None:
        return None
    n = child.size
    table = sorted(KNOWN_GROUPS)
    if "priority_group" in cols:
        names = np.array([g.encode() for g in table])
        found = csvbulk.index_of(np.where(cols["priority_group"] == b"", b"none",
                                          cols["priority_group"]), names)
        if found is None:
            return None  # another group than the standard ones: the slow reader checks
        codes = found
    else:
        codes = np.full(n, table.index("none"), dtype=np.int64)
    if "distance_m" in cols:
        parsed = csvbulk.plain_float(cols["distance_m"])
        if parsed is None:
            return None
        dist = parsed[0]
    else:
        dist = np.full(n, np.nan)
    on_distance = np.isin(np.array(crit, dtype=np.int64), (1, 3))[level]  # per level first
    if (on_distance & np.isnan(dist)).any():
        return None
    for a, b in ((child, rank), (child, level)):  # duplicate choice or rank of a child
        key = np.sort(a * np.int64(max(int(b.max()) + 1, 1)) + b) if n else a
        if (key[1:] == key[:-1]).any():
            return None
    return child, rank, level, dist, (table, codes)
