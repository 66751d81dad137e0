"""Scenario JSON, in and out, exactly as the SPEC writes it.

Reading collects every problem (unknown key, wrong type) instead of stopping
at the first; optional keys take the SPEC's defaults. Writing emits every key
in the SPEC's order, with whole numbers written as integers, so that
``dump(load(x)) == x`` for any complete SPEC document.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import Final, Literal, NotRequired, TypedDict, TypeVar, overload

from workbook_engine.formats.files import UnreadableInput, read_input
from workbook_engine.formats.ids import id_key, id_problem
from workbook_engine.model.domain import (
    INDICATORS,
    PARTS_POLICIES,
    SIBLING_SCOPES,
    CustomParts,
    Family,
    Grid,
    Indicator,
    PartsPolicy,
    Scenario,
    SiblingScope,
    Tranche,
)
from workbook_engine.model.limits import (
    MAX_CAPACITY,
    MAX_CELL_TEXT,
    MAX_GRIDS,
    MAX_JSON_DEPTH,
    MAX_NUMBER,
    MAX_SLOTS,
    count_text,
)
from workbook_engine.model.problems import InputError, Problem, family_where

MAX_DIGITS = 15  # digits of a JSON integer: beyond, no float keeps it exactly (and 4,300 crash int())

_CUSTOM_KEYS = ("adult", "child_1", "child_2", "child_3_plus", "single_parent_bonus", "other_dependent")


class _Missing(Enum):
    """The value of a key absent from a JSON object."""

    MISSING = "missing"


_MISSING: Final = _Missing.MISSING

_JsonObject = dict[str, object]  # a JSON object as parsed: its values are checked one by one
_Default = TypeVar("_Default")
_Choice = TypeVar("_Choice", bound=str)


class TrancheJSON(TypedDict):
    label: str
    lower: float
    amount: float


class PreviousJSON(TypedDict):
    """Last year's brackets of a grid (README, "Formats": an extension of the SPEC)."""

    tranches: list[TrancheJSON]


class GridJSON(TypedDict):
    name: str
    old_tariff: float | None
    budget_target: float | None
    tranches: list[TrancheJSON]
    previous: NotRequired[PreviousJSON]


class FamilyJSON(TypedDict):
    id: str
    rfr_1: float | None
    rfr_2: float
    caf_aid: float
    parts: float | None
    adults: int | None
    children: int | None
    other_dependents: int
    notice: bool
    pupils: list[int]
    other_enrolled: int


class ScenarioJSON(TypedDict):
    """The SPEC's scenario JSON, as :func:`scenario_to_dict` writes it."""

    structure: str
    year: str
    indicator: Indicator
    include_caf_aid: bool
    parts_policy: PartsPolicy
    custom_parts: dict[str, float]
    sibling_rates: list[float]
    sibling_scope: SiblingScope
    grids: list[GridJSON]
    families: list[FamilyJSON]


# The keys each object may have, in the order scenario_to_dict writes them.
_SCENARIO_KEYS = tuple(ScenarioJSON.__annotations__)
_GRID_KEYS = tuple(GridJSON.__annotations__)
_TRANCHE_KEYS = tuple(TrancheJSON.__annotations__)
_PREVIOUS_KEYS = tuple(PreviousJSON.__annotations__)
_FAMILY_KEYS = tuple(FamilyJSON.__annotations__)


class _Reader:
    """Typed access to a JSON object that records problems instead of raising."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, where: str, field: str, value: object, message: str) -> None:
        self.problems.append(Problem(where, field, value, message))

    def keys(self, obj: object, allowed: tuple[str, ...], where: str) -> _JsonObject:
        if not isinstance(obj, dict):
            self.fail(where, "", obj, "un objet JSON {...} est attendu")
            return {}
        for key in obj:
            if key not in allowed:
                self.fail(where, key, obj[key], f"clé inconnue (clés possibles : {', '.join(allowed)})")
        return obj

    @overload
    def number(
        self, obj: _JsonObject, key: str, where: str, default: _Default, *, integer: Literal[False] = False
    ) -> float | _Default: ...

    @overload
    def number(
        self, obj: _JsonObject, key: str, where: str, default: _Default, *, integer: Literal[True]
    ) -> int | _Default: ...

    def number(
        self, obj: _JsonObject, key: str, where: str, default: object = _MISSING, *, integer: bool = False
    ) -> object:
        return self.coerce_number(obj.get(key, _MISSING), where, key, default, integer=integer)

    @overload
    def coerce_number(
        self, value: object, where: str, key: str, default: _Default, *, integer: Literal[False] = False
    ) -> float | _Default: ...

    @overload
    def coerce_number(
        self, value: object, where: str, key: str, default: _Default, *, integer: Literal[True]
    ) -> int | _Default: ...

    @overload
    def coerce_number(
        self, value: object, where: str, key: str, default: _Default, *, integer: bool
    ) -> float | _Default: ...

    def coerce_number(
        self, value: object, where: str, key: str, default: object = _MISSING, *, integer: bool = False
    ) -> object:
        """``value`` as a float (an int when ``integer``), or ``default``
        (None when there is none) after recording why it cannot be used."""
        if value is _MISSING or value is None:
            if default is _MISSING:
                self.fail(where, key, None, "valeur obligatoire manquante")
                return None
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.fail(where, key, value, "un nombre est attendu")
            return None if default is _MISSING else default
        if integer:
            if value != int(value):
                self.fail(where, key, value, "un nombre entier est attendu")
                return None if default is _MISSING else default
            return int(value)
        return float(value)

    def text(self, obj: _JsonObject, key: str, where: str, default: str | _Missing = _MISSING) -> str | None:
        value = obj.get(key, _MISSING)
        if value is _MISSING or value is None:
            if default is _MISSING:
                self.fail(where, key, None, "valeur obligatoire manquante")
            return None if default is _MISSING else default
        if not isinstance(value, str):
            self.fail(where, key, value, "un texte est attendu")
            return None if default is _MISSING else default
        return value

    def boolean(self, obj: _JsonObject, key: str, where: str, default: bool) -> bool:
        value = obj.get(key, _MISSING)
        if value is _MISSING or value is None:
            return default
        if not isinstance(value, bool):
            self.fail(where, key, value, "true ou false est attendu")
            return default
        return value

    def choice(self, obj: _JsonObject, key: str, where: str, choices: tuple[_Choice, ...], default: _Choice) -> _Choice:
        value = obj.get(key, _MISSING)
        if value is _MISSING or value is None:
            return default
        if value not in choices:
            self.fail(where, key, value, f"valeur attendue parmi : {', '.join(choices)}")
            return default
        return value

    def items(self, obj: _JsonObject, key: str, where: str, *, required: bool = True) -> list[object]:
        value = obj.get(key, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.fail(where, key, None, "liste obligatoire manquante")
            return []
        if not isinstance(value, list):
            self.fail(where, key, value, "une liste [...] est attendue")
            return []
        return value


def scenario_from_dict(data: object) -> tuple[Scenario, list[Problem]]:
    """Build a scenario from parsed JSON; returns it with the problems found.

    Values with a problem are replaced by their default (or ``None``) so that
    the rule validation can still run on the rest.
    """
    r = _Reader()
    top = r.keys(data, _SCENARIO_KEYS, "scénario")
    rates_raw = top.get("sibling_rates", [0, 0, 0])
    rates: list[float] = []
    if not isinstance(rates_raw, list) or len(rates_raw) != 3:
        r.fail("scénario", "sibling_rates", rates_raw, "une liste de 3 taux [r2, r3, r4+] est attendue")
        rates = [0.0, 0.0, 0.0]
    else:
        for i, v in enumerate(rates_raw):
            rates.append(r.coerce_number(v, "scénario", f"sibling_rates[{i}]", 0.0))

    custom_raw = r.keys(top.get("custom_parts", {}) or {}, _CUSTOM_KEYS, "custom_parts")
    defaults = CustomParts()
    custom = CustomParts(**{k: r.number(custom_raw, k, "custom_parts", getattr(defaults, k)) for k in _CUSTOM_KEYS})

    grids = []
    for gi, graw in enumerate(r.items(top, "grids", "scénario"), start=1):
        where = f"grille {gi}"
        g = r.keys(graw, _GRID_KEYS, where)
        previous = None
        if g.get("previous") is not None:
            pwhere = f"{where}, barème de l'an dernier"
            previous = _tranches(r, r.keys(g["previous"], _PREVIOUS_KEYS, pwhere), pwhere)
        grids.append(
            Grid(
                name=r.text(g, "name", where, "") or "",
                old_tariff=r.number(g, "old_tariff", where, None),
                budget_target=r.number(g, "budget_target", where, None),
                tranches=_tranches(r, g, where),
                previous=previous,
            )
        )

    families = []
    raw_families = r.items(top, "families", "scénario", required=False)
    first_of: dict[str, int] = {}  # id as it shows (formats.ids) -> first family with it
    raw_ids = Counter(f.get("id") for f in raw_families if isinstance(f, dict) and isinstance(f.get("id"), str))
    for fi, fraw in enumerate(raw_families, start=1):
        fid = fraw.get("id") if isinstance(fraw, dict) else None
        fid = fid if isinstance(fid, str) else ""
        where = family_where(fid, fi, raw_ids[fid])
        f = r.keys(fraw, _FAMILY_KEYS, where)
        if fid and (problem := id_problem(fid)):
            r.fail(where, "id", fid[:40], problem)
        elif fid and raw_ids[fid] == 1 and first_of.setdefault(id_key(fid), fi) != fi:
            # Exact twins are validation's; ids that only look the same are told here.
            r.fail(
                where, "id", fid, f"identifiant identique à l'écran à celui de la famille n° {first_of[id_key(fid)]}"
            )
        pupils = []
        for pi, v in enumerate(r.items(f, "pupils", where), start=1):
            pupils.append(r.coerce_number(v, where, f"pupils[{pi - 1}]", 0, integer=True))
        families.append(
            Family(
                id=r.text(f, "id", where, "") or "",
                rfr_1=r.number(f, "rfr_1", where, None),
                rfr_2=r.number(f, "rfr_2", where, 0.0),
                caf_aid=r.number(f, "caf_aid", where, 0.0),
                parts=r.number(f, "parts", where, None),
                adults=r.number(f, "adults", where, None, integer=True),
                children=r.number(f, "children", where, None, integer=True),
                other_dependents=r.number(f, "other_dependents", where, 0, integer=True),
                notice=r.boolean(f, "notice", where, True),
                pupils=tuple(pupils),
                other_enrolled=r.number(f, "other_enrolled", where, 0, integer=True),
            )
        )

    scenario = Scenario(
        structure=r.text(top, "structure", "scénario", "") or "",
        year=r.text(top, "year", "scénario", "") or "",
        indicator=r.choice(top, "indicator", "scénario", INDICATORS, "qf"),
        include_caf_aid=r.boolean(top, "include_caf_aid", "scénario", False),
        parts_policy=r.choice(top, "parts_policy", "scénario", PARTS_POLICIES, "fiscal"),
        custom_parts=custom,
        sibling_rates=(rates[0], rates[1], rates[2]),  # always 3 (see above)
        sibling_scope=r.choice(top, "sibling_scope", "scénario", SIBLING_SCOPES, "structure"),
        grids=tuple(grids),
        families=tuple(families),
    )
    return scenario, r.problems


def _tranches(r: _Reader, obj: _JsonObject, where: str) -> tuple[Tranche, ...]:
    """The "tranches" list of a grid or of its previous grid."""
    tranches = []
    for ti, traw in enumerate(r.items(obj, "tranches", where), start=1):
        twhere = f"{where}, tranche {ti}"
        t = r.keys(traw, _TRANCHE_KEYS, twhere)
        tranches.append(
            Tranche(
                label=r.text(t, "label", twhere, "") or "",
                lower=r.number(t, "lower", twhere, 0.0),
                amount=r.number(t, "amount", twhere, 0.0),
            )
        )
    return tuple(tranches)


def _tranches_json(tranches: tuple[Tranche, ...]) -> list[TrancheJSON]:
    return [{"label": t.label, "lower": _num(t.lower), "amount": _num(t.amount)} for t in tranches]


def _grid_json(g: Grid) -> GridJSON:
    out: GridJSON = {
        "name": g.name,
        "old_tariff": _num(g.old_tariff),
        "budget_target": _num(g.budget_target),
        "tranches": _tranches_json(g.tranches),
    }
    if g.previous is not None:  # absent, not null: scenarios without one read as before
        out["previous"] = {"tranches": _tranches_json(g.previous)}
    return out


@overload
def _num(x: float) -> float: ...


@overload
def _num(x: None) -> None: ...


@overload
def _num(x: float | None) -> float | None: ...


def _num(x: float | None) -> float | None:
    """Whole numbers as JSON integers (35000, not 35000.0)."""
    if x is None:
        return None
    if isinstance(x, float) and x.is_integer():
        return int(x)
    return x


def scenario_to_dict(s: Scenario) -> ScenarioJSON:
    return {
        "structure": s.structure,
        "year": s.year,
        "indicator": s.indicator,
        "include_caf_aid": s.include_caf_aid,
        "parts_policy": s.parts_policy,
        "custom_parts": {k: _num(getattr(s.custom_parts, k)) for k in _CUSTOM_KEYS},
        "sibling_rates": [_num(r) for r in s.sibling_rates],
        "sibling_scope": s.sibling_scope,
        "grids": [_grid_json(g) for g in s.grids],
        "families": [
            {
                "id": f.id,
                "rfr_1": _num(f.rfr_1),
                "rfr_2": _num(f.rfr_2),
                "caf_aid": _num(f.caf_aid),
                "parts": _num(f.parts),
                "adults": f.adults,
                "children": f.children,
                "other_dependents": f.other_dependents,
                "notice": f.notice,
                "pupils": list(f.pupils),
                "other_enrolled": f.other_enrolled,
            }
            for f in s.families
        ],
    }


def dumps_scenario(s: Scenario) -> str:
    return json.dumps(scenario_to_dict(s), ensure_ascii=False, indent=2, allow_nan=False) + "\n"


class JsonRefused(ValueError):
    """A JSON text refused while parsing: ``where`` and ``message`` in French."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where, self.message = where, message


def _no_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            # The last one would win silently: which value did the author mean?
            raise JsonRefused(f"clé « {_shown(key)} »", "clé en double dans un même objet : gardez-en une seule")
        seen[key] = value
    return seen


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise JsonRefused("", f"nombre de {len(text.lstrip('-'))} chiffres : au plus {MAX_DIGITS} chiffres")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or abs(value) >= MAX_NUMBER:
        raise JsonRefused("", f"nombre {_shown(text)} hors limites (au plus {MAX_NUMBER:,.0f})".replace(",", " "))
    return value


def _no_constant(text: str) -> object:
    raise JsonRefused("", f"{text} n'est pas un nombre JSON : écrivez un nombre")


def _shown(text: str) -> str:
    return text if len(text) <= 40 else text[:40] + "…"


def strict_json(text: str) -> object:
    """JSON as a person typed it, refused rather than guessed: a key twice in
    one object (the last would win), a number of more than ``MAX_DIGITS``
    digits or beyond ``MAX_NUMBER``, NaN and Infinity, nesting deeper than
    ``MAX_JSON_DEPTH`` (the parser's recursion). Raises :class:`JsonRefused`
    or ``json.JSONDecodeError``."""
    if _depth(text) > MAX_JSON_DEPTH:
        raise JsonRefused("", f"JSON imbriqué sur plus de {MAX_JSON_DEPTH} niveaux : au plus {MAX_JSON_DEPTH}")
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicate_keys,
            parse_int=_bounded_int,
            parse_float=_finite_float,
            parse_constant=_no_constant,
        )
    except RecursionError:
        raise JsonRefused("", f"JSON trop imbriqué : au plus {MAX_JSON_DEPTH} niveaux") from None


_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _depth(text: str) -> int:
    """The deepest nesting of arrays and objects (strings skipped); stops
    counting past the limit."""
    depth = deepest = 0
    for m in _BRACKETS.finditer(text):
        c = m.group(0)
        if c in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    return deepest
        elif c in "]}":
            depth -= 1
    return deepest


def _too_large(data: object) -> tuple[str, str] | None:
    """Where a scenario holds more than a workbook can (grids, tranches,
    families, characters of a text), as (where, message)."""
    if not isinstance(data, dict):
        return None
    grids, families = data.get("grids"), data.get("families")
    if isinstance(grids, list):
        if len(grids) > MAX_GRIDS:
            return "grids", f"{count_text(len(grids))} grilles : au plus {MAX_GRIDS} (limite des classeurs)"
        for k, g in enumerate(grids, 1):
            tranches = g.get("tranches") if isinstance(g, dict) else None
            previous = g.get("previous") if isinstance(g, dict) else None
            last_year = previous.get("tranches") if isinstance(previous, dict) else None
            for where, table in ((f"grille {k}", tranches), (f"grille {k}, barème de l'an dernier", last_year)):
                if isinstance(table, list) and len(table) > MAX_SLOTS:
                    return (
                        where,
                        f"{count_text(len(table))} tranches : au plus {count_text(MAX_SLOTS)} (limite des classeurs)",
                    )
    if isinstance(families, list) and len(families) > MAX_CAPACITY:
        return (
            "families",
            f"{count_text(len(families))} familles : au plus {count_text(MAX_CAPACITY)} (limite des classeurs)",
        )
    stack: list[tuple[str, object]] = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str) and len(value) > MAX_CELL_TEXT:
            return (
                where,
                f"texte de {count_text(len(value))} caractères : au plus {count_text(MAX_CELL_TEXT)} "
                "(une cellule de tableur)",
            )
        if isinstance(value, dict):
            stack += [(f"{where}.{k}" if where else str(k), v) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(f"{where}[{i}]", v) for i, v in enumerate(value)]
    return None


def read_scenario_json(path: str | Path) -> tuple[Scenario | None, list[Problem]]:
    """Read a scenario JSON file without validating it: the scenario (None
    when the file is unreadable or not JSON) and the reading problems, with
    their source. Never raises."""
    source = str(path)

    def fail(where: str, message: str) -> tuple[None, list[Problem]]:
        return None, [Problem(where, "", None, message, source=source)]

    try:
        text = read_input(path).decode("utf-8-sig")
    except UnreadableInput as exc:
        return fail("", exc.message)
    except UnicodeDecodeError:
        return fail("", "le fichier n'est pas un texte UTF-8")
    try:
        data = strict_json(text)
    except json.JSONDecodeError as exc:
        return fail(f"ligne {exc.lineno}, colonne {exc.colno}", f"JSON invalide : {exc.msg}")
    except JsonRefused as exc:
        return fail(exc.where, exc.message)
    if problem := _too_large(data):
        return fail(*problem)
    scenario, problems = scenario_from_dict(data)
    return scenario, [p.with_source(source) for p in problems]


def load_scenario_json(path: str | Path) -> Scenario:
    """Read and validate a scenario JSON file; raise :class:`InputError` listing
    every problem."""
    from workbook_engine.model.validation import validate

    scenario, problems = read_scenario_json(path)
    if scenario is not None:
        problems = merge_problems(problems, [p.with_source(str(path)) for p in validate(scenario)])
    if scenario is None or problems:
        raise InputError(problems)
    return scenario


def merge_problems(first: list[Problem], second: list[Problem]) -> list[Problem]:
    """``first`` plus those of ``second`` about a place and field not already
    reported (a value rejected while reading is not reported again as missing)."""
    seen = {(p.where, p.field) for p in first}
    return first + [p for p in second if (p.where, p.field) not in seen]
