"""portfolio.yaml: load and validate the whole portfolio before any data is touched.

Every problem is reported with the file, the key path (``programs[0].projects[2].source``) and
what was expected; all problems are gathered and reported together.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from connectors.base import SourceSpec
from connectors.registry import connector_classes

CANONICAL_STATUSES = ("not_started", "in_progress", "blocked", "done", "cancelled")
UNASSIGNED_PROGRAM = "unassigned"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
SECRET_WORDS = ("token", "password", "secret", "api_key", "apikey")
TOP_LEVEL_KEYS = {
    "warehouse", "timezone", "schedule", "as_of", "landing_retention_days",
    "objectives", "programs", "sources", "rules", "capacity", "resource_aliases",
}
BASES = ("auto", "work", "duration", "points", "count")
GENERIC_SOURCE_KEYS = {"id", "kind", "status_map"}


class ConfigError(Exception):
    """The portfolio config is invalid. ``problems`` lists ``key.path: what; expected what``."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        listing = "\n".join(f"  {path}: {p}" for p in problems)
        super().__init__(f"{path}: {len(problems)} config problem(s):\n{listing}")


@dataclass(frozen=True)
class Objective:
    id: str
    name: str
    target_share: float


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    program_id: str
    source_id: str
    key: str
    objectives: Mapping[str, float]
    systems: tuple[str, ...]
    manager: str | None = None


@dataclass(frozen=True)
class Program:
    id: str
    name: str
    owner: str | None
    pct_complete_basis: str | None = None  # overrides rules.pct_complete_basis for this program


@dataclass(frozen=True)
class Rules:
    """The written-down rules behind the PMO's numbers; every one can be set under `rules:`."""

    red_spi: float = 0.90  # red below
    red_cpi: float = 0.90
    amber_spi: float = 0.95  # amber below
    amber_cpi: float = 0.95
    red_milestone_days_late: float = 10  # red when a milestone is more working days late than this
    high_risk_severity: float = 15  # probability x impact (1-25) at which a risk is high
    alignment_threshold: float = 0.5  # alignment score at which a project is aligned
    capacity_hours_per_week: float = 40  # a person's capacity when no source gives one
    overallocation_margin: float = 0.10  # data quality flags weeks above 100% + this margin
    story_point_hours: float = 8  # hours per story point when a project cannot calibrate its own
    pct_complete_basis: str = "auto"  # auto (work where estimated, else count) | work | duration | points | count
    program_rag: str = "worst"  # worst: a program is as red as its reddest project; majority: as most are


RULE_CHOICES = {"pct_complete_basis": BASES, "program_rag": ("worst", "majority")}


@dataclass(frozen=True)
class Portfolio:
    path: Path
    warehouse: Path
    timezone: str
    schedule: str
    as_of: dt.date | None
    landing_retention_days: int
    objectives: tuple[Objective, ...]
    programs: tuple[Program, ...]
    projects: tuple[Project, ...]
    sources: tuple[SourceSpec, ...]
    status_maps: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    rules: Rules = field(default_factory=Rules)
    capacity: Mapping[str, float] = field(default_factory=dict)  # person (e-mail or name) -> hours per week
    resource_aliases: Mapping[str, str] = field(default_factory=dict)  # another spelling -> e-mail or name

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def var_dir(self) -> Path:
        """Private working area beside the published warehouse: build file, landing, Dagster home."""
        return self.warehouse.parent / ".sightline"

    def today(self) -> dt.date:
        """'Today' for rollups: the configured as_of date, else today in the portfolio's time zone."""
        return self.as_of or dt.datetime.now(ZoneInfo(self.timezone)).date()


class _Checker:
    """Collects problems with their key paths."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.add(path, f"is {_kind(value)}; expected a mapping of key: value")
            return {}
        return value

    def sequence(self, value: Any, path: str, *, required: bool = True) -> list[Any]:
        if value is None and not required:
            return []
        if not isinstance(value, list):
            self.add(path, f"is {_kind(value)}; expected a list")
            return []
        return value

    def text(self, mapping: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> str | None:
        value = mapping.get(key)
        if value is None:
            if required:
                self.add(f"{path}.{key}", "is missing; expected a text value")
            return None
        if not isinstance(value, str | int) or isinstance(value, bool) or str(value).strip() == "":
            self.add(f"{path}.{key}", f"is {_kind(value)}; expected a non-empty text value")
            return None
        return str(value).strip()

    def identifier(self, mapping: Mapping[str, Any], key: str, path: str, seen: set[str]) -> str | None:
        value = self.text(mapping, key, path)
        if value is None:
            return None
        if not ID_PATTERN.match(value):
            self.add(f"{path}.{key}", f"{value!r} is not a valid id; expected lower-case letters, digits, '-', '_' or '.'")
        elif value in seen:
            self.add(f"{path}.{key}", f"duplicate id {value!r}; expected ids to be unique")
        seen.add(value)
        return value

    def fraction(self, value: Any, path: str) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.add(path, f"is {_kind(value)}; expected a number between 0 and 1")
            return None
        if not 0 <= value <= 1:
            self.add(path, f"is {value}; expected a number between 0 and 1")
            return None
        return float(value)


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, str):
        return f"the text {value!r}"
    return f"a {type(value).__name__} ({value!r})"[:80]


def load_portfolio(path: str | Path) -> Portfolio:
    """Read and validate portfolio.yaml. Raises ConfigError naming every problem."""
    path = Path(path).expanduser().resolve()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, ["(file): not found; expected a portfolio.yaml (sightline init DIR writes one)"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise ConfigError(path, [f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    return parse_portfolio(raw, path)


def parse_portfolio(raw: Any, path: Path) -> Portfolio:
    check = _Checker()
    top = check.mapping(raw, "(top level)")
    for key in top:
        if key not in TOP_LEVEL_KEYS:
            check.add(str(key), f"unknown key; expected one of {', '.join(sorted(TOP_LEVEL_KEYS))}")

    warehouse = check.text(top, "warehouse", "(top level)", required=False) or "var/sightline.duckdb"
    timezone = _timezone(check, top)
    schedule = _schedule(check, top)
    as_of = _as_of(check, top)
    retention = top.get("landing_retention_days", 14)
    if isinstance(retention, bool) or not isinstance(retention, int) or retention < 1:
        check.add("landing_retention_days", f"is {_kind(retention)}; expected a whole number of days >= 1")
        retention = 14

    objectives = _objectives(check, top.get("objectives"))
    sources, status_maps = _sources(check, top.get("sources"), path.parent)
    programs, projects = _programs(check, top.get("programs"), {o.id for o in objectives}, {s.id for s in sources})

    rules = _rules(check, top.get("rules"))
    capacity = _capacity(check, top.get("capacity"))
    aliases = _aliases(check, top.get("resource_aliases"))
    _duplicate_project_keys(check, projects)
    if check.problems:
        raise ConfigError(path, check.problems)
    keys_by_source: dict[str, list[str]] = {}
    for project in projects:
        keys_by_source.setdefault(project.source_id, []).append(project.key)
    sources = [replace(s, project_keys=tuple(keys_by_source.get(s.id, ()))) for s in sources]
    warehouse_path = Path(warehouse).expanduser()
    if not warehouse_path.is_absolute():
        warehouse_path = path.parent / warehouse_path
    return Portfolio(
        path=path,
        warehouse=warehouse_path,
        timezone=timezone,
        schedule=schedule,
        as_of=as_of,
        landing_retention_days=retention,
        objectives=tuple(objectives),
        programs=tuple(programs),
        projects=tuple(projects),
        sources=tuple(sources),
        status_maps=status_maps,
        rules=rules,
        capacity=capacity,
        resource_aliases=aliases,
    )


def _rules(check: _Checker, value: Any) -> Rules:
    defaults = Rules()
    chosen: dict[str, Any] = {}
    for key, given in check.mapping(value or {}, "rules").items():
        path = f"rules.{key}"
        if not hasattr(defaults, str(key)):
            check.add(path, f"unknown rule; expected one of {', '.join(sorted(Rules.__dataclass_fields__))}")
        elif key in RULE_CHOICES:
            if given not in RULE_CHOICES[key]:
                check.add(path, f"is {_kind(given)}; expected one of {', '.join(RULE_CHOICES[key])}")
            else:
                chosen[key] = given
        elif isinstance(given, bool) or not isinstance(given, int | float) or given < 0:
            check.add(path, f"is {_kind(given)}; expected a number >= 0 (default {getattr(defaults, key)})")
        else:
            chosen[key] = float(given)
    return replace(defaults, **chosen)


def _capacity(check: _Checker, value: Any) -> dict[str, float]:
    result = {}
    for person, hours in check.mapping(value or {}, "capacity").items():
        if isinstance(hours, bool) or not isinstance(hours, int | float) or hours < 0:
            check.add(f"capacity.{person}", f"is {_kind(hours)}; expected hours per week, e.g. 32")
        else:
            result[str(person).strip()] = float(hours)
    return result


def _aliases(check: _Checker, value: Any) -> dict[str, str]:
    result = {}
    for alias, person in check.mapping(value or {}, "resource_aliases").items():
        if not isinstance(person, str) or not person.strip():
            check.add(f"resource_aliases.{alias}", "expected the e-mail or name this spelling stands for")
        else:
            result[str(alias).strip()] = person.strip()
    return result


def _duplicate_project_keys(check: _Checker, projects: list[Project]) -> None:
    seen: dict[tuple[str, str], str] = {}
    for project in projects:
        other = seen.setdefault((project.source_id, project.key), project.id)
        if other != project.id:
            check.add(
                f"projects {other!r} and {project.id!r}",
                f"both name key {project.key!r} of source {project.source_id!r}; expected one project per key",
            )


def _timezone(check: _Checker, top: Mapping[str, Any]) -> str:
    name = check.text(top, "timezone", "(top level)", required=False) or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        check.add("timezone", f"unknown time zone {name!r}; expected an IANA name such as Europe/London")
        return "UTC"
    return name


def _schedule(check: _Checker, top: Mapping[str, Any]) -> str:
    from dagster._utils.schedules import is_valid_cron_string

    cron = check.text(top, "schedule", "(top level)", required=False) or "0 2 * * *"
    if not is_valid_cron_string(cron):
        check.add("schedule", f"{cron!r} is not a cron expression; expected five fields such as '0 2 * * *'")
    return cron


def _as_of(check: _Checker, top: Mapping[str, Any]) -> dt.date | None:
    value = top.get("as_of")
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        check.add("as_of", f"is {_kind(value)}; expected a date YYYY-MM-DD (or leave it out for today)")
        return None


def _objectives(check: _Checker, value: Any) -> list[Objective]:
    seen: set[str] = set()
    result = []
    for i, item in enumerate(check.sequence(value, "objectives", required=False)):
        path = f"objectives[{i}]"
        entry = check.mapping(item, path)
        oid = check.identifier(entry, "id", path, seen)
        name = check.text(entry, "name", path)
        share = check.fraction(entry.get("target_share"), f"{path}.target_share")
        for key in entry:
            if key not in {"id", "name", "target_share"}:
                check.add(f"{path}.{key}", "unknown key; expected id, name, target_share")
        if oid and name and share is not None:
            result.append(Objective(oid, name, share))
    total = sum(o.target_share for o in result)
    if total > 1.0 + 1e-9:
        check.add("objectives", f"target shares add up to {total:.2f}; expected at most 1.0")
    return result


def _sources(check: _Checker, value: Any, base_dir: Path) -> tuple[list[SourceSpec], dict[str, dict[str, str]]]:
    kinds = connector_classes()
    seen: set[str] = set()
    sources, status_maps = [], {}
    for i, item in enumerate(check.sequence(value, "sources")):
        path = f"sources[{i}]"
        entry = check.mapping(item, path)
        sid = check.identifier(entry, "id", path, seen)
        kind = check.text(entry, "kind", path)
        options = {k: v for k, v in entry.items() if k not in GENERIC_SOURCE_KEYS}
        _literal_secrets(check, options, path)
        status_map = _status_map(check, entry.get("status_map"), f"{path}.status_map")
        if kind is not None and kind not in kinds:
            check.add(f"{path}.kind", f"unknown source kind {kind!r}; expected one of {', '.join(sorted(kinds))}")
        elif kind is not None:
            check.problems.extend(kinds[kind].validate_options(options, path))
        if sid and kind in kinds:
            sources.append(SourceSpec(id=sid, kind=kind, options=options, base_dir=base_dir))
            status_maps[sid] = status_map
    return sources, status_maps


def _status_map(check: _Checker, value: Any, path: str) -> dict[str, str]:
    """Status words (case-insensitive) or /patterns/ (regular expressions) -> canonical status."""
    if value is None:
        return {}
    result = {}
    for word, status in check.mapping(value, path).items():
        text = str(word).strip()
        if status not in CANONICAL_STATUSES:
            check.add(f"{path}.{word}", f"is {_kind(status)}; expected one of {', '.join(CANONICAL_STATUSES)}")
            continue
        if len(text) > 2 and text.startswith("/") and text.endswith("/"):
            try:
                re.compile(text[1:-1])
            except re.error as exc:
                check.add(f"{path}.{word}", f"is not a valid pattern ({exc}); expected /regular expression/")
                continue
            result[text.lower()] = status
        else:
            result[text.lower()] = status
    return result


def _literal_secrets(check: _Checker, options: Mapping[str, Any], path: str) -> None:
    """A secret written into the config would end up in git; only env var names are accepted."""
    for key, value in options.items():
        lowered = str(key).lower()
        if isinstance(value, Mapping):
            _literal_secrets(check, value, f"{path}.{key}")
        elif any(word in lowered for word in SECRET_WORDS) and not lowered.endswith("_env"):
            check.add(
                f"{path}.{key}",
                f"secrets are not accepted in the config; expected {key}_env: NAME_OF_ENVIRONMENT_VARIABLE",
            )


def _programs(
    check: _Checker, value: Any, objective_ids: set[str], source_ids: set[str]
) -> tuple[list[Program], list[Project]]:
    program_ids: set[str] = {UNASSIGNED_PROGRAM}
    project_ids: set[str] = set()
    programs, projects = [], []
    for i, item in enumerate(check.sequence(value, "programs")):
        path = f"programs[{i}]"
        entry = check.mapping(item, path)
        pid = check.identifier(entry, "id", path, program_ids)
        name = check.text(entry, "name", path)
        owner = check.text(entry, "owner", path, required=False)
        basis = entry.get("pct_complete_basis")
        if basis is not None and basis not in BASES:
            check.add(f"{path}.pct_complete_basis", f"is {_kind(basis)}; expected one of {', '.join(BASES)}")
        for key in entry:
            if key not in {"id", "name", "owner", "projects", "pct_complete_basis"}:
                check.add(f"{path}.{key}", "unknown key; expected id, name, owner, pct_complete_basis, projects")
        if pid and name:
            programs.append(Program(pid, name, owner, basis if basis in BASES else None))
        for j, project_item in enumerate(check.sequence(entry.get("projects"), f"{path}.projects", required=False)):
            project = _project(check, project_item, f"{path}.projects[{j}]", pid, project_ids, objective_ids, source_ids)
            if project:
                projects.append(project)
    return programs, projects


def _project(
    check: _Checker,
    item: Any,
    path: str,
    program_id: str | None,
    project_ids: set[str],
    objective_ids: set[str],
    source_ids: set[str],
) -> Project | None:
    entry = check.mapping(item, path)
    allowed = {"id", "name", "source", "key", "objectives", "systems", "manager"}
    for key in entry:
        if key not in allowed:
            check.add(f"{path}.{key}", f"unknown key; expected one of {', '.join(sorted(allowed))}")
    pid = check.identifier(entry, "id", path, project_ids)
    name = check.text(entry, "name", path)
    source = check.text(entry, "source", path)
    key = check.text(entry, "key", path)
    manager = check.text(entry, "manager", path, required=False)
    if source is not None and source not in source_ids:
        known = ", ".join(sorted(source_ids)) or "none defined"
        check.add(f"{path}.source", f"unknown source {source!r}; expected the id of an entry under sources: ({known})")
    weights: dict[str, float] = {}
    for objective, weight in check.mapping(entry.get("objectives") or {}, f"{path}.objectives").items():
        if objective not in objective_ids:
            check.add(f"{path}.objectives.{objective}", "unknown objective; expected an id listed under objectives:")
        value = check.fraction(weight, f"{path}.objectives.{objective}")
        if value is not None:
            weights[str(objective)] = value
    if sum(weights.values()) > 1.0 + 1e-9:
        check.add(f"{path}.objectives", f"weights add up to {sum(weights.values()):.2f}; expected at most 1.0")
    systems = []
    for k, system in enumerate(check.sequence(entry.get("systems"), f"{path}.systems", required=False)):
        if not isinstance(system, str) or not system.strip():
            check.add(f"{path}.systems[{k}]", f"is {_kind(system)}; expected a system name")
        else:
            systems.append(system.strip())
    if not (pid and name and source and key and program_id):
        return None
    return Project(pid, name, program_id, source, key, weights, tuple(systems), manager)
