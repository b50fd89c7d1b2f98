"""portfolio.yaml: load and validate the whole portfolio before any data is touched.

The file's shape is typed pydantic models (defaults on the models; every source kind brings its
own options model). Every problem is reported with the file, the YAML key path
(``programs[0].projects[2].source``) and what was expected; all problems are gathered and
reported together. Loading is bounded: only a regular file up to 1 MiB, and a limited number of
YAML aliases, so a hostile or mistaken file cannot exhaust memory or time.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    model_validator,
)

from connectors.base import SourceSpec
from connectors.options import CONFIG_ERROR, Text, TimeZone, config_problem, describe
from connectors.registry import connector_classes
from warehouse.publish import DEFAULT_STORAGE_VERSION

UNASSIGNED_PROGRAM = "unassigned"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
SECRET_WORDS = ("token", "password", "secret", "api_key", "apikey")
USER_INFO_URL = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@\s]+@", re.IGNORECASE)
MAX_CONFIG_BYTES = 1024 * 1024
MAX_ALIASES = 100
MAX_EXPANDED_NODES = 100_000  # nodes the aliases may add once expanded (a real portfolio adds a few)


class ConfigError(Exception):
    """The portfolio config is invalid. ``problems`` lists ``key.path: what; expected what``."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        listing = "\n".join(f"  {path}: {p}" for p in problems)
        super().__init__(f"{path}: {len(problems)} config problem(s):\n{listing}")


# --- field types -----------------------------------------------------------------------------------


def _identifier(value: str) -> str:
    if not ID_PATTERN.match(value):
        raise config_problem(f"{value!r} is not a valid id; expected lower-case letters, digits, '-', '_' or '.'")
    return value


def _cron(value: str) -> str:
    from dagster._utils.schedules import is_valid_cron_string

    if not is_valid_cron_string(value):
        raise config_problem(f"{value!r} is not a cron expression; expected five fields such as '0 2 * * *'")
    return value


Id = Annotated[Text, AfterValidator(_identifier)]
Fraction = Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]
Basis = Literal["auto", "work", "duration", "points", "count"]
Status = Literal["not_started", "in_progress", "blocked", "done", "cancelled"]
CANONICAL_STATUSES: tuple[str, ...] = Status.__args__


class ConfigModel(BaseModel):
    """Immutable, and unknown keys are errors (typos do not pass silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- the models ------------------------------------------------------------------------------------


class Objective(ConfigModel):
    id: Id = Field(description="an id: lower-case letters, digits, '-', '_' or '.'")
    name: Text = Field(description="the objective's name")
    target_share: Fraction = Field(description="a number between 0 and 1 (the share of effort the strategy intends)")


class Rules(ConfigModel):
    """The written-down rules behind the PMO's numbers; every one can be set under `rules:`."""

    red_spi: NonNegative = Field(0.90, description="a number >= 0 (default 0.9): red when SPI is below")
    red_cpi: NonNegative = Field(0.90, description="a number >= 0 (default 0.9): red when CPI is below")
    amber_spi: NonNegative = Field(0.95, description="a number >= 0 (default 0.95): amber when SPI is below")
    amber_cpi: NonNegative = Field(0.95, description="a number >= 0 (default 0.95): amber when CPI is below")
    red_milestone_days_late: NonNegative = Field(
        10, description="a number >= 0 (default 10): red when a milestone is more working days late")
    high_risk_severity: NonNegative = Field(
        15, description="a number >= 0 (default 15): probability x impact (1-25) at which a risk is high")
    alignment_threshold: NonNegative = Field(
        0.5, description="a number >= 0 (default 0.5): alignment score at which a project is aligned")
    capacity_hours_per_week: NonNegative = Field(
        40, description="a number >= 0 (default 40): a person's capacity when no source gives one")
    overallocation_margin: NonNegative = Field(
        0.10, description="a number >= 0 (default 0.1): data quality flags weeks above 100% + this")
    story_point_hours: NonNegative = Field(
        8, description="a number >= 0 (default 8): hours per point when a project cannot calibrate its own")
    pct_complete_basis: Basis = Field("auto", description="auto (work where estimated, else count) | work | "
                                                          "duration | points | count")
    amber_overdue_share: NonNegative = Field(
        0.10, description="a number >= 0 (default 0.1): amber when more than this share of open items is overdue")
    red_overdue_share: NonNegative = Field(
        0.25, description="a number >= 0 (default 0.25): red when more than this share of open items is overdue")
    program_rag: Literal["worst", "majority"] = Field(
        "worst", description="worst (as red as its reddest project) | majority (as most projects are)")
    stale_report_days: NonNegative = Field(
        14, description="a number >= 0 (default 14): a reported status older than this many days is a warning")


class Program(ConfigModel):
    id: str
    name: str
    owner: str | None = None
    pct_complete_basis: Basis | None = None  # overrides rules.pct_complete_basis for this program


class Project(ConfigModel):
    id: str
    name: str
    program_id: str
    source_id: str
    key: str
    objectives: Mapping[str, float] = {}
    systems: tuple[str, ...] = ()
    manager: str | None = None
    reported_status: str | None = None  # what the project manager reports up, as written (e.g. Green)
    reported_at: dt.date | None = None
    reported_by: str | None = None
    comment: str | None = None

    def __hash__(self) -> int:  # objectives is a mapping; equal projects still hash alike
        return hash((self.id, self.program_id, self.source_id, self.key))


class ProjectEntry(ConfigModel):
    """A project as written under ``programs[].projects``."""

    id: Id = Field(description="an id: lower-case letters, digits, '-', '_' or '.'")
    name: Text = Field(description="the project's name")
    source: Text = Field(description="the id of an entry under sources:")
    key: Text = Field(description="the project's key in its source (sheet, Project column value, file name or key)")
    objectives: dict[Text, Fraction] = Field(
        {}, description="a mapping of objective id: weight, a number between 0 and 1")
    systems: tuple[Text, ...] = Field((), description="a list of system names, e.g. [General Ledger]")
    manager: Text | None = Field(None, description="the project manager's name")
    reported_status: Text | None = Field(
        None, description="the status the project reports, e.g. Green, Amber, Red or On track")
    reported_at: dt.date | None = Field(None, description="the date of that report, e.g. 2026-11-13")
    reported_by: Text | None = Field(None, description="who reported it")
    comment: Text | None = Field(None, description="the report's comment")

    @model_validator(mode="after")
    def _weights_at_most_one(self) -> ProjectEntry:
        total = sum(self.objectives.values())
        if total > 1.0 + 1e-9:
            raise config_problem(f"weights add up to {total:.2f}; expected at most 1.0", at="objectives")
        return self


class ProgramEntry(ConfigModel):
    """A program as written under ``programs:``."""

    id: Id = Field(description="an id: lower-case letters, digits, '-', '_' or '.'")
    name: Text = Field(description="the program's name")
    owner: Text | None = Field(None, description="the program owner's name")
    pct_complete_basis: Basis | None = Field(None, description="auto | work | duration | points | count")
    projects: tuple[ProjectEntry, ...] = Field((), description="a list of projects")


class SourceEntry(BaseModel):
    """The keys every source has; the rest are the options of its kind (checked by its own model)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: Id = Field(description="an id: lower-case letters, digits, '-', '_' or '.'")
    kind: Text = Field(description="an installed source kind")
    status_map: dict[Text, Status] = Field(
        {}, description="a mapping of status word or /pattern/: one of " + ", ".join(CANONICAL_STATUSES))


def _storage_version(value: str) -> str:
    """DuckDB itself judges the version (it knows every release up to its own), as it will at publish."""
    import duckdb

    from warehouse.db import sql_literal

    with duckdb.connect(":memory:") as con:
        try:
            con.execute(f"ATTACH ':memory:' AS probe (STORAGE_VERSION {sql_literal(value)})")
        except duckdb.Error:
            raise config_problem(f"{value!r} is not a DuckDB version this DuckDB ({duckdb.__version__}) knows; "
                                 f"expected a release such as {DEFAULT_STORAGE_VERSION!r}, 'v1.4.0' or 'latest'") from None
    return value


class PostgresTarget(ConfigModel):
    """A PostgreSQL database the published schemas are also loaded into, for BI servers elsewhere."""

    dsn_env: Text = Field("SIGHTLINE_PG_DSN", description="the environment variable holding the PostgreSQL "
                          "connection URI (postgresql://user:password@host:5432/db); never the URI itself")
    schema_prefix: Id = Field("sightline", description="schemas are named <prefix>_core, <prefix>_marts, "
                              "<prefix>_history and <prefix>_meta")
    lock_timeout_seconds: NonNegative = Field(
        60, description="a number >= 0 (default 60): how long the swap waits for readers' locks before giving up")


class Publish(ConfigModel):
    """How the warehouse is published: the DuckDB file's storage version, and an optional Postgres copy."""

    storage_version: Annotated[Text, AfterValidator(_storage_version)] = Field(
        DEFAULT_STORAGE_VERSION, description="the DuckDB storage version of the published file, e.g. v1.0.0 "
        "(default: the oldest that keeps everything, so DuckDB 1.x, Node, ODBC and JDBC clients open it) or latest")
    postgres: PostgresTarget | None = Field(None, description="a mapping with dsn_env and schema_prefix")


class PortfolioFile(ConfigModel):
    """portfolio.yaml as written."""

    warehouse: Text = Field("var/sightline.duckdb", description="the published DuckDB file, relative to this file")
    timezone: TimeZone = Field("UTC", description="an IANA time zone such as Europe/London")
    schedule: Annotated[Text, AfterValidator(_cron)] = Field(
        "0 2 * * *", description="a cron expression such as '0 2 * * *'")
    as_of: dt.date | None = Field(None, description="a date YYYY-MM-DD (or leave it out for today)")
    landing_retention_days: int = Field(14, strict=True, ge=1, description="a whole number of days >= 1")
    objectives: tuple[Objective, ...] = Field((), description="a list of objectives")
    programs: tuple[ProgramEntry, ...] = Field(description="a list of programs")
    sources: tuple[SourceEntry, ...] = Field(description="a list of sources")
    rules: Rules = Field(Rules(), description="a mapping of rule: value")
    capacity: dict[Text, NonNegative] = Field({}, description="a mapping of person: hours per week, e.g. 32")
    resource_aliases: dict[Text, Text] = Field(
        {}, description="a mapping of another spelling: the e-mail or name it stands for")
    publish: Publish = Field(Publish(), description="a mapping with storage_version and postgres")


class Portfolio(ConfigModel):
    """The validated portfolio, as the pipeline uses it."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

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
    status_maps: Mapping[str, Mapping[str, str]] = {}  # source id -> lower-cased word or /pattern/ -> status
    rules: Rules = Rules()
    capacity: Mapping[str, float] = {}  # person (e-mail or name) -> hours per week
    resource_aliases: Mapping[str, str] = {}  # another spelling -> e-mail or name
    publish: Publish = Publish()

    def __hash__(self) -> int:  # mappings inside; the file and its settings identify a portfolio
        return hash((self.path, self.warehouse, self.timezone, self.schedule, self.as_of, self.projects))

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    @property
    def var_dir(self) -> Path:
        """Private working area beside the published warehouse: build file, landing, Dagster home."""
        return self.warehouse.parent / ".sightline"

    def today(self) -> dt.date:
        """'Today' for rollups: the configured as_of date, else today in the portfolio's time zone."""
        from zoneinfo import ZoneInfo

        return self.as_of or dt.datetime.now(ZoneInfo(self.timezone)).date()


# --- loading ---------------------------------------------------------------------------------------


def load_portfolio(path: str | Path) -> Portfolio:
    """Read and validate portfolio.yaml. Raises ConfigError naming every problem."""
    path = Path(path).expanduser().resolve()
    return parse_portfolio(_read_yaml(path), path)


def _read_yaml(path: Path) -> Any:
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(path, ["(file): not found; expected a portfolio.yaml (sightline init DIR writes one)"]) from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(path, ["(file): is not a regular file; expected the path of a portfolio.yaml file"])
    try:
        with path.open("rb") as handle:  # read no more than the limit, whatever the file grew to since stat()
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(path, [f"(file): cannot be read ({exc.strerror}); expected a readable file"]) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(path, [f"(file): is larger than {MAX_CONFIG_BYTES // 1024} KiB; expected a portfolio "
                                 "config (a few KiB); check that --config names the right file"])
    try:
        return _bounded_load(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(path, [f"(file): byte {exc.start} is not UTF-8; expected a UTF-8 text file"]) from None
    except _AliasBudgetError as exc:
        raise ConfigError(path, [f"(file): {exc}"]) from None
    except RecursionError:  # the YAML composer recurses once per nesting level
        raise ConfigError(path, ["(file): nested too deeply; expected a config a few levels deep"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise ConfigError(path, [f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})"]) from None


class _AliasBudgetError(Exception):
    pass


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that stops at the alias budget while composing, before anything is expanded."""

    aliases_seen = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases_seen += 1
            if self.aliases_seen > MAX_ALIASES:
                line = self.peek_event().start_mark.line + 1
                raise _AliasBudgetError(
                    f"more than {MAX_ALIASES} YAML aliases (*name), alias {MAX_ALIASES + 1} on line {line}; "
                    "expected a config written out plainly (anchors and aliases only to share a few blocks)")
        return super().compose_node(parent, index)


def _bounded_load(text: str) -> Any:
    loader = _BoundedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        expanded = _expanded_nodes(node) - _written_nodes(node)
        if expanded > MAX_EXPANDED_NODES:
            raise _AliasBudgetError(
                f"YAML aliases expand the document by {expanded:,} values (at most {MAX_EXPANDED_NODES:,} allowed); "
                "expected a config without nested aliases that multiply (a 'billion laughs' file)")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _written_nodes(root: yaml.Node) -> int:
    """The distinct nodes of the document (an alias adds none)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            stack.extend(_children(node))
    return len(seen)


def _expanded_nodes(root: yaml.Node) -> int:
    """The nodes once every alias is expanded, each shared node sized once (post-order, iterative
    so deep nesting cannot overflow the stack). A node that contains itself is refused."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_sized = stack.pop()
        if children_sized:
            open_nodes.discard(id(node))
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in _children(node))
            continue
        if id(node) in sizes:
            continue
        if id(node) in open_nodes:
            raise _AliasBudgetError("a YAML alias refers to a block that contains it; expected no recursive aliases")
        open_nodes.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


# --- validation ------------------------------------------------------------------------------------


class _Problems(list[str]):
    """Problems as ``key.path: what; expected what``, in the order found."""

    def add(self, loc: Iterable[str | int], message: str) -> None:
        self.append(f"{_key_path(loc)}: {message}")

    def validate(self, model: type[BaseModel], value: Any, loc: tuple[str | int, ...] = ()) -> Any:
        """The validated model, or None after adding each of its problems under ``loc``."""
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            self.extend(_explain(error, model, loc) for error in exc.errors(include_url=False))
            return None


def parse_portfolio(raw: Any, path: Path) -> Portfolio:
    problems = _Problems()
    if not isinstance(raw, Mapping):
        problems.add(["(top level)"], f"is {describe(raw)}; expected a mapping of key: value")
        raise ConfigError(path, problems)
    raw = {**raw, "sources": _sources_without_secrets(problems, raw.get("sources"))}
    document: PortfolioFile | None = problems.validate(PortfolioFile, raw)
    # Cross-references are checked on every entry that is valid on its own, so one typo does not
    # hide the rest: the file's problems all come out together.
    objectives = document.objectives if document else _valid_items(raw, "objectives", Objective)
    sources = document.sources if document else _valid_items(raw, "sources", SourceEntry)
    programs = [(p.id, p.projects) for p in document.programs] if document else _program_parts(raw)
    _unique_ids(problems, "objectives", [o and o.id for o in objectives])
    _unique_ids(problems, "sources", [s and s.id for s in sources])
    _target_shares(problems, [o for o in objectives if o])
    specs = _source_specs(problems, sources, path.parent)
    projects = _programs(problems, programs, {o.id for o in objectives if o}, {s.id for s in sources if s})
    if problems or document is None:
        raise ConfigError(path, problems)
    return _portfolio(document, path, specs, projects)


def _valid_items(raw: Mapping[str, Any], key: str, model: type[BaseModel]) -> list[Any]:
    """Each entry of a list validated on its own; None where it is invalid (indices stay the file's)."""
    items = raw.get(key)
    if not isinstance(items, list):
        return []
    reported = _Problems()  # already reported by the whole-file validation
    return [reported.validate(model, item) for item in items]


def _program_parts(raw: Mapping[str, Any]) -> list[tuple[str | None, list[ProjectEntry | None]]]:
    """(program id, its projects) for each program, each project validated on its own, so one bad
    project or program key does not hide its siblings' cross-reference problems."""
    items = raw.get("programs")
    reported = _Problems()  # already reported by the whole-file validation
    parts = []
    for item in items if isinstance(items, list) else []:
        entry = item if isinstance(item, Mapping) else {}
        program_id = entry.get("id") if isinstance(entry.get("id"), str) else None
        projects = entry.get("projects") if isinstance(entry.get("projects"), list) else []
        parts.append((program_id, [reported.validate(ProjectEntry, project) for project in projects]))
    return parts


def _portfolio(document: PortfolioFile, path: Path, specs: list[SourceSpec], projects: list[Project]) -> Portfolio:
    keys_by_source: dict[str, list[str]] = {}
    for project in projects:
        keys_by_source.setdefault(project.source_id, []).append(project.key)
    warehouse = Path(document.warehouse).expanduser()
    return Portfolio(
        path=path,
        warehouse=warehouse if warehouse.is_absolute() else path.parent / warehouse,
        timezone=document.timezone,
        schedule=document.schedule,
        as_of=document.as_of,
        landing_retention_days=document.landing_retention_days,
        objectives=document.objectives,
        programs=tuple(Program(id=p.id, name=p.name, owner=p.owner, pct_complete_basis=p.pct_complete_basis)
                       for p in document.programs),
        projects=tuple(projects),
        sources=tuple(replace(s, project_keys=tuple(keys_by_source.get(s.id, ()))) for s in specs),
        status_maps={s.id: {word.lower(): status for word, status in s.status_map.items()} for s in document.sources},
        rules=document.rules,
        capacity=document.capacity,
        resource_aliases=document.resource_aliases,
        publish=document.publish,
    )


def _unique_ids(problems: _Problems, list_key: str, ids: list[str | None], taken: Iterable[str] = ()) -> None:
    """Duplicate ids, by their index in the file (None: an entry already reported as invalid)."""
    seen = set(taken)
    for index, item_id in enumerate(ids):
        if item_id is None:
            continue
        if item_id in seen:
            problems.add([list_key, index, "id"], f"duplicate id {item_id!r}; expected ids to be unique")
        seen.add(item_id)


def _target_shares(problems: _Problems, objectives: Iterable[Objective]) -> None:
    total = sum(o.target_share for o in objectives)
    if total > 1.0 + 1e-9:
        problems.add(["objectives"], f"target shares add up to {total:.2f}; expected at most 1.0")


def _source_specs(problems: _Problems, sources: Iterable[SourceEntry | None], base_dir: Path) -> list[SourceSpec]:
    kinds = connector_classes()
    specs = []
    for index, entry in enumerate(sources):
        if entry is None:
            continue
        loc = ("sources", index)
        _status_patterns(problems, entry.status_map, (*loc, "status_map"))
        if entry.kind not in kinds:
            problems.add([*loc, "kind"], f"unknown source kind {entry.kind!r}; expected one of {', '.join(sorted(kinds))}")
            continue
        options = problems.validate(kinds[entry.kind].options_model, entry.model_extra or {}, loc)
        if options is not None:
            specs.append(SourceSpec(id=entry.id, kind=entry.kind, options=options, base_dir=base_dir))
    return specs


def _status_patterns(problems: _Problems, status_map: Mapping[str, str], loc: tuple[str | int, ...]) -> None:
    """/patterns/ run in DuckDB (RE2), so DuckDB judges them: Python's `re` accepts look-arounds RE2 refuses."""
    patterns = [word for word in status_map if len(word) > 2 and word.startswith("/") and word.endswith("/")]
    if not patterns:
        return
    import duckdb

    with duckdb.connect(":memory:") as con:
        for word in patterns:
            try:
                con.execute("SELECT regexp_matches('', ?)", [word[1:-1]])
            except duckdb.Error as exc:
                reason = str(exc).split(":", 1)[-1].strip()
                problems.add([*loc, word], f"is not a valid pattern: {reason}; expected a /regular expression/ "
                                           "in RE2 syntax (no look-arounds or back-references)")


def _programs(
    problems: _Problems, programs: list[tuple[str | None, Iterable[ProjectEntry | None]]],
    objective_ids: set[str], source_ids: set[str],
) -> list[Project]:
    """The projects of every program, with their cross-references checked."""
    _unique_ids(problems, "programs", [program_id for program_id, _ in programs], taken=[UNASSIGNED_PROGRAM])
    projects, seen_ids, seen_keys = [], set(), {}
    for i, (program_id, entries) in enumerate(programs):
        for j, entry in enumerate(entries):
            if entry is None:
                continue
            loc = ("programs", i, "projects", j)
            if entry.id in seen_ids:
                problems.add([*loc, "id"], f"duplicate id {entry.id!r}; expected ids to be unique")
            seen_ids.add(entry.id)
            if entry.source not in source_ids:
                known = ", ".join(sorted(source_ids)) or "none defined"
                problems.add([*loc, "source"],
                             f"unknown source {entry.source!r}; expected the id of an entry under sources: ({known})")
            for objective in entry.objectives:
                if objective not in objective_ids:
                    problems.add([*loc, "objectives", objective], "unknown objective; expected an id listed under objectives:")
            other = seen_keys.setdefault((entry.source, entry.key), entry.id)
            if other != entry.id:
                problems.add([*loc, "key"], f"{entry.key!r} of source {entry.source!r} is already the key of project "
                                            f"{other!r}; expected one project per key")
            projects.append(Project(id=entry.id, name=entry.name, program_id=program_id or "", source_id=entry.source,
                                    key=entry.key, objectives=entry.objectives, systems=entry.systems,
                                    manager=entry.manager, reported_status=entry.reported_status,
                                    reported_at=entry.reported_at, reported_by=entry.reported_by,
                                    comment=entry.comment))
    return projects


# --- secrets -----------------------------------------------------------------------------------------

_SOURCE_KEYS_NOT_SCANNED = {"id", "kind", "status_map"}  # status words are not secrets


def _sources_without_secrets(problems: _Problems, sources: Any) -> Any:
    """A secret written into the config would end up in git: a secret-looking key, or a URL with a
    user name or password, is a problem. Such keys are dropped and such URLs cut to their host before
    validation, so no later message can echo them (nor report the same key twice)."""
    if not isinstance(sources, list):
        return sources
    return [
        {key: _scrub(problems, value, ("sources", index, key)) for key, value in entry.items()
         if key in _SOURCE_KEYS_NOT_SCANNED or not _secret_key(problems, key, ("sources", index, key))}
        if isinstance(entry, Mapping) else entry
        for index, entry in enumerate(sources)
    ]


def _secret_key(problems: _Problems, key: Any, loc: tuple[str | int, ...]) -> bool:
    lowered = str(key).lower()
    if any(word in lowered for word in SECRET_WORDS) and not lowered.endswith("_env"):
        problems.add(loc, f"secrets are not accepted in the config; expected {key}_env: NAME_OF_ENVIRONMENT_VARIABLE")
        return True
    return False


def _scrub(problems: _Problems, value: Any, loc: tuple[str | int, ...]) -> Any:
    if loc[-1] in _SOURCE_KEYS_NOT_SCANNED and len(loc) == 3:
        return value
    if isinstance(value, Mapping):
        return {k: _scrub(problems, v, (*loc, k)) for k, v in value.items() if not _secret_key(problems, k, (*loc, k))}
    if isinstance(value, list):
        return [_scrub(problems, v, (*loc, i)) for i, v in enumerate(value)]
    if isinstance(value, str) and USER_INFO_URL.match(value):
        problems.add(loc, "a user name or password in a URL is a secret in the config; expected the address "
                          "without it (https://host/...) and the credentials in auth: {token_env: NAME}")
        return USER_INFO_URL.sub(lambda m: m.group(0).split("://")[0] + "://", value)
    return value


# --- error wording -------------------------------------------------------------------------------------

#: What a value should be, by pydantic error type, for values below a documented field (list items,
#: mapping values); a field's own problems use its description.
EXPECTED_BY_TYPE = {
    "string_type": "a text value",
    "string_too_short": "a non-empty text value",
    "float_type": "a number",
    "int_type": "a whole number",
    "bool_type": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a mapping of key: value",
    "model_type": "a mapping of key: value",
    "model_attributes_type": "a mapping of key: value",
}


def _key_path(loc: Iterable[str | int]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _explain(error: Mapping[str, Any], model: type[BaseModel], prefix: tuple[str | int, ...]) -> str:
    """One pydantic error in the config's own words: ``<key path>: <problem>; expected <what>``."""
    loc, kind, ctx = tuple(error["loc"]), error["type"], error.get("ctx") or {}
    if loc and loc[-1] == "[key]":  # a key of a field: value mapping outside its choices
        return f"{_key_path(prefix + loc[:-1])}: unknown field; expected one of {_unquote(ctx.get('expected', ''))}"
    path = _key_path(prefix + loc + ((ctx["at"],) if kind == CONFIG_ERROR and ctx.get("at") else ()))
    if kind == CONFIG_ERROR:
        return f"{path}: {error['msg']}"
    if kind == "extra_forbidden":
        return f"{path}: unknown key; expected one of {', '.join(_model_at(model, loc[:-1]).model_fields)}"
    field = _field_of(model, loc)
    given = describe(error.get("input"))
    if kind == "missing":
        return f"{path}: is missing; expected {field.description if field else 'a value'}"
    if kind == "literal_error":
        return f"{path}: is {given}; expected one of {_unquote(ctx.get('expected', ''))}"
    expected = field.description if field else EXPECTED_BY_TYPE.get(kind, _plain(error["msg"]))
    return f"{path}: is {given}; expected {expected}"


def _unquote(choices: str) -> str:
    """pydantic's "'a', 'b' or 'c'" -> "a, b, c"."""
    return choices.replace("'", "").replace(" or ", ", ")


def _plain(message: str) -> str:
    """pydantic's 'Input should be greater than 0' -> 'greater than 0'."""
    return re.sub(r"^(Input|Value) should (be )?", "", message)


def _model_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel]:
    """The model whose keys are at ``loc``."""
    current = model
    for part in loc:
        if isinstance(part, str) and part in current.model_fields:
            current = _model_in(current.model_fields[part].annotation) or current
    return current


def _field_of(model: type[BaseModel], loc: tuple[str | int, ...]) -> Any:
    """The field whose own value is at ``loc``, or None when ``loc`` is an item below a field."""
    if not loc or not isinstance(loc[-1], str):
        return None
    owner = _model_at(model, loc[:-1])
    return owner.model_fields.get(loc[-1])


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in getattr(annotation, "__args__", ()):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


# --- JSON Schema ---------------------------------------------------------------------------------------


def portfolio_json_schema() -> dict[str, Any]:
    """JSON Schema of portfolio.yaml for editor completion: each installed kind's options under
    ``sources``, told apart by ``kind``."""
    entries = [_source_schema_model(kind, cls.options_model) for kind, cls in sorted(connector_classes().items())]
    source: Any = functools.reduce(operator.or_, entries)
    if len(entries) > 1:
        source = Annotated[source, Field(discriminator="kind")]
    document = create_model(
        "Portfolio", __base__=PortfolioFile, __doc__="Sightline portfolio config (portfolio.yaml).",
        sources=(tuple[source, ...], Field(description="a list of sources")),
    )
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **document.model_json_schema()}


def _source_schema_model(kind: str, options: type[BaseModel]) -> type[BaseModel]:
    name = "".join(part.title() for part in re.split(r"[^a-zA-Z0-9]+", kind)) + "Source"
    return create_model(
        name, __base__=options, __doc__=f"A source of kind {kind}.",
        id=(Id, SourceEntry.model_fields["id"]),
        kind=(Literal[kind], Field(description=f"{kind}")),
        status_map=(dict[Text, Status], SourceEntry.model_fields["status_map"]),
    )
