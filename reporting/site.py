"""`sightline report`: one folder of static HTML from the published warehouse - no server, no CDN.

Every page links ``assets/report.css``, ``assets/report.js`` and (pages with charts) ``assets/plotly.min.js``,
all written into the folder, so the folder can be zipped and mailed and opens offline."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from reporting import charts
from reporting.attention import LOOKAHEAD_WEEKS, attention_list
from reporting.tables import render_table
from reporting.warehouse import RAG_RANK, Snapshots, open_warehouse, project_href, rows, slug, snapshots

STATIC = Path(__file__).with_name("static")
PAGES = [("index.html", "Overview"), ("attention.html", "Attention"), ("milestones.html", "Milestone trend"),
         ("resources.html", "Resources"), ("strategy.html", "Strategy"), ("network.html", "Linkages"),
         ("quality.html", "Data quality")]
# Bounds that keep a 2,000-project / 1M-item portfolio's report small enough to open in a browser at once.
MAX_ITEMS_PER_PROJECT = 50
MAX_MILESTONES_PER_PROJECT = 25
MAX_MILESTONES_PER_PROGRAM = 25
MAX_PEOPLE_PER_VIEW = 60
MAX_NETWORK_EDGES = 200  # at most 400 nodes: networkx lays out fewer than 500 without scipy
MAX_FINDINGS_PER_CHECK = 200
MAX_ATTENTION_PER_KIND = 50
HEATMAP_WEEKS_BACK, HEATMAP_WEEKS_AHEAD = 4, 12


@dataclass
class Site:
    con: duckdb.DuckDBPyConnection
    out: Path
    snaps: Snapshots
    warehouse: Path
    env: Environment = field(init=False)
    built_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))

    def __post_init__(self) -> None:
        self.env = Environment(loader=PackageLoader("reporting", "templates"), autoescape=select_autoescape(
            default=True, default_for_string=True), undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)

    def page(self, name: str, template: str, title: str, *, charts_on: bool = False, **context: Any) -> Path:
        root = "../" if "/" in name else ""
        html = self.env.get_template(template).render(
            title=title, root=root, here=name, pages=PAGES, snaps=self.snaps, charts=charts_on,
            built_at=self.built_at, warehouse=self.warehouse.name, **context)
        path = self.out / name
        path.write_text(html, encoding="utf-8")
        return path

    def table(self, table_id: str, columns: list[dict[str, Any]], data: list[dict[str, Any]], *,
              filter_box: bool = False, more: str = "") -> str:
        return render_table(table_id, columns, data, filter_box=filter_box, more=more)


def col(key: str, label: str, kind: str = "text", digits: int = 1) -> dict[str, Any]:
    return {"key": key, "label": label, "kind": kind, "digits": digits}


def default_out_dir(warehouse: Path) -> Path:
    """Beside the warehouse: ``var/sightline.duckdb`` -> ``var/report/``."""
    return warehouse.parent / "report"


def write_report(warehouse: Path, out: Path | None = None) -> Path:
    """Write the report of the published ``warehouse`` into ``out`` (default: beside it); return index.html."""
    out = out or default_out_dir(warehouse)
    (out / "assets").mkdir(parents=True, exist_ok=True)
    (out / "projects").mkdir(exist_ok=True)
    _write_assets(out / "assets")
    with open_warehouse(warehouse) as con:
        site = Site(con, out, snapshots(con), warehouse)
        projects = _overview(site)
        _attention(site)
        _milestones(site)
        _resources(site)
        _strategy(site)
        _network(site, projects)
        _quality(site)
        _project_pages(site, projects)
    return out / "index.html"


def _write_assets(assets: Path) -> None:
    from plotly.offline import get_plotlyjs

    for name in ("report.css", "report.js"):
        shutil.copyfile(STATIC / name, assets / name)
    target = assets / "plotly.min.js"
    script = get_plotlyjs()
    if not target.exists() or target.stat().st_size != len(script.encode("utf-8")):  # 4.6 MB: write once
        target.write_text(script, encoding="utf-8")


# -- overview -------------------------------------------------------------------------------------------

PROJECTS_SQL = """
SELECT h.*, p.name AS project_name, g.name AS program_name
FROM marts.project_health h LEFT JOIN core.projects p USING (project_id)
LEFT JOIN core.programs g ON g.program_id = h.program_id
ORDER BY h.program_id, h.project_id
"""
TOTAL_SQL = """
SELECT sum(projects_total) AS projects, sum(projects_red) AS red, sum(projects_amber) AS amber,
       sum(projects_unknown) AS unknown, sum(open_risks_high) AS open_risks_high,
       max(forecast_finish) AS forecast_finish, max(baseline_finish) AS baseline_finish,
       sum(pct_complete_work * work_hours_total) FILTER (WHERE pct_complete_work IS NOT NULL)
         / nullif(sum(work_hours_total) FILTER (WHERE pct_complete_work IS NOT NULL), 0) AS pct_complete_work
FROM marts.program_rollup
"""


def _overview(site: Site) -> list[dict[str, Any]]:
    projects = rows(site.con, PROJECTS_SQL)
    by_program: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in projects:
        p["href"] = project_href(p["project_id"])
        p["rag_rank"] = RAG_RANK.get(p["rag"], 0)
        by_program[p["program_id"]].append(p)
    programs = rows(site.con, "SELECT * FROM marts.program_rollup ORDER BY program_id = 'unassigned', program_id")
    for g in programs:
        g["projects"] = by_program.get(g["program_id"], [])
    total = rows(site.con, TOTAL_SQL)[0]
    site.page("index.html", "overview.html.j2", "Portfolio overview", programs=programs, total=total)
    return projects


def _attention(site: Site) -> None:
    shown, left_out = [], Counter()
    for item in attention_list(site.con, site.snaps):
        if sum(1 for s in shown if s.kind == item.kind) < MAX_ATTENTION_PER_KIND:
            shown.append(item)
        else:
            left_out[item.kind] += 1
    site.page("attention.html", "attention.html.j2", "What needs attention this week",
              items=shown, left_out=sorted(left_out.items()), lookahead=LOOKAHEAD_WEEKS)


# -- milestone trend ------------------------------------------------------------------------------------

MILESTONES_SQL = """
WITH latest AS (
    SELECT t.work_item_id, p.program_id,
           row_number() OVER (PARTITION BY p.program_id ORDER BY t.slip_count DESC, t.status = 'done',
                              t.forecast_finish, t.work_item_id) AS pick
    FROM marts.milestone_trend t JOIN core.projects p USING (project_id)
    WHERE t.snapshot_date = (SELECT max(snapshot_date) FROM marts.milestone_trend))
SELECT l.program_id, coalesce(g.name, l.program_id) AS program_name, t.work_item_id, t.project_id, p.name AS project_name, coalesce(w.name, t.work_item_id) AS milestone,
       t.snapshot_date, t.forecast_finish, s.baseline_finish, t.status, t.slip_count
FROM latest l JOIN marts.milestone_trend t USING (work_item_id)
JOIN core.projects p ON p.project_id = t.project_id
LEFT JOIN core.programs g ON g.program_id = l.program_id
LEFT JOIN core.work_items w ON w.work_item_id = t.work_item_id
LEFT JOIN history.work_item_snapshots s ON s.work_item_id = t.work_item_id AND s.snapshot_date = t.snapshot_date
WHERE l.pick <= ? ORDER BY l.program_id, t.work_item_id, t.snapshot_date
"""


def _milestones(site: Site) -> None:
    by_program: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in rows(site.con, MILESTONES_SQL, [MAX_MILESTONES_PER_PROGRAM]):
        by_program[m["program_id"]].append(m)
    sections = []
    for program_id, milestones in by_program.items():
        last = {m["work_item_id"]: m for m in milestones}  # rows are in date order: the last one wins
        first = {m["work_item_id"]: m for m in reversed(milestones)}
        summary = [{**m, "first_forecast": first[k]["forecast_finish"],
                    "moved": (m["forecast_finish"] - first[k]["forecast_finish"]).days} for k, m in last.items()]
        table = site.table(f"milestones-{slug(program_id)}", [
            col("milestone", "Milestone"), col("project_name", "Project"), col("status", "Status"),
            col("baseline_finish", "Baseline"), col("first_forecast", "First forecast"),
            col("forecast_finish", "Forecast now"), col("moved", "Moved (days)"), col("slip_count", "Slips")], summary)
        sections.append({"title": milestones[0]["program_name"], "anchor": slug(program_id), "note": "",
                         "chart": charts.slip_chart(milestones, f"slip-{slug(program_id)}"), "table": table})
    site.page("milestones.html", "chart_page.html.j2", "Milestone trend (slip chart per program)", charts_on=True,
              sections=sections or [{"title": "", "anchor": "", "note": "No milestones.", "chart": "", "table": ""}])


# -- resources ------------------------------------------------------------------------------------------

DEPLOYMENT_SQL = """
SELECT d.resource_id, any_value(coalesce(d.resource_name, d.resource_id)) AS name,
       any_value(coalesce(d.team, '(no team)')) AS team, d.week_start, any_value(d.utilisation) AS utilisation,
       any_value(d.is_overallocated) AS is_overallocated,
       list(coalesce(p.name, u.project_id) ORDER BY u.project_id) AS projects,
       list(DISTINCT p.program_id) FILTER (WHERE p.program_id IS NOT NULL) AS programs
FROM marts.resource_deployment d, unnest(d.project_ids) AS u(project_id)
LEFT JOIN core.projects p ON p.project_id = u.project_id
WHERE d.week_start BETWEEN ? AND ?
GROUP BY d.resource_id, d.week_start
"""


def _resources(site: Site) -> None:
    week = site.snaps.as_of - dt.timedelta(days=site.snaps.as_of.weekday())
    weeks = [week + dt.timedelta(weeks=n) for n in range(-HEATMAP_WEEKS_BACK, HEATMAP_WEEKS_AHEAD + 1)]
    people: dict[str, dict[str, Any]] = {}
    for r in rows(site.con, DEPLOYMENT_SQL, [weeks[0], weeks[-1]]):
        person = people.setdefault(r["resource_id"], {"id": r["resource_id"], "name": r["name"], "team": r["team"],
                                                      "weeks": {}, "programs": set(), "peak": 0.0})
        person["weeks"][r["week_start"]] = {"utilisation": r["utilisation"], "over": r["is_overallocated"],
                                            "projects": ", ".join(r["projects"])}
        person["programs"].update(p for p in r["programs"] if p)
        person["peak"] = max(person["peak"], r["utilisation"] or 0)
    ranked = sorted(people.values(), key=lambda p: (-p["peak"], p["name"]))
    groups = {"all people": ranked[:MAX_PEOPLE_PER_VIEW]}
    for team in sorted({p["team"] for p in ranked}):
        groups[f"team: {team}"] = [p for p in ranked if p["team"] == team][:MAX_PEOPLE_PER_VIEW]
    for program in sorted({g for p in ranked for g in p["programs"]}):
        groups[f"program: {program}"] = [p for p in ranked if program in p["programs"]][:MAX_PEOPLE_PER_VIEW]
    over = [{"_id": slug(p["id"]), "name": p["name"], "team": p["team"], "peak": p["peak"],
             "weeks_over": sum(1 for w in p["weeks"].values() if w["over"]),
             "projects": "; ".join(sorted({w["projects"] for w in p["weeks"].values() if w["over"]}))}
            for p in ranked if any(w["over"] for w in p["weeks"].values())]
    table = site.table("overallocated", [col("name", "Person"), col("team", "Team"), col("peak", "Peak", "pct"),
                                         col("weeks_over", "Weeks over"), col("projects", "Projects")], over, filter_box=True)
    note = (f"Utilisation = assigned hours / capacity, weeks of {weeks[0]} to {weeks[-1]}; ▲ = over-allocated. "
            f"Pick all people, a team or a program; each view shows the {MAX_PEOPLE_PER_VIEW} busiest people.")
    site.page("resources.html", "chart_page.html.j2", "Resource deployment heatmap", charts_on=True, sections=[
        {"title": "", "anchor": "", "note": note, "chart": charts.heatmap(groups, weeks, "heatmap"), "table": ""},
        {"title": "Over-allocated in these weeks", "anchor": "over", "note": "", "chart": "", "table": table}])


# -- strategy -------------------------------------------------------------------------------------------


def _strategy(site: Site) -> None:
    objectives = rows(site.con, "SELECT i.*, coalesce(o.name, i.objective_id) AS label FROM marts.objective_investment i "
                      "LEFT JOIN core.objectives o USING (objective_id) ORDER BY i.objective_id = 'unaligned', i.objective_id")
    for o in objectives:
        drift = o["drift"] or 0
        o["drift_words"] = (f"{abs(drift) * 100:.0f} points {'over' if drift > 0 else 'under'} target"
                            if abs(drift) >= 0.005 else "on target")
    table = site.table("objectives", [
        col("label", "Objective"), col("target_share", "Target", "pct"), col("actual_share", "Actual", "pct"),
        col("effort_hours", "Effort (h)", "num", 0), col("drift_words", "Drift")], objectives)
    unaligned = rows(site.con, "SELECT s.project_id, p.name AS project_name, s.program_id, s.alignment_score, s.reasons "
                     "FROM marts.strategy_alignment s LEFT JOIN core.projects p USING (project_id) "
                     "WHERE NOT s.is_aligned ORDER BY s.alignment_score, s.project_id")
    for u in unaligned:
        u["project_name_href"] = project_href(u["project_id"])
        u["project_name"] = u["project_name"] or u["project_id"]
    projects = site.table("unaligned", [col("project_name", "Project", "link"), col("program_id", "Program"),
                                        col("alignment_score", "Score", "num", 2), col("reasons", "Why not aligned")],
                          unaligned, filter_box=True)
    site.page("strategy.html", "chart_page.html.j2", "Strategy: effort against target share", charts_on=True, sections=[
        {"title": "", "anchor": "", "note": "Bars: actual share of effort; red marks: the target share.",
         "chart": charts.objective_bars(objectives, "objectives-chart"), "table": table},
        {"title": "Projects not aligned", "anchor": "not-aligned", "note": "", "chart": "", "table": projects}])


# -- linkages -------------------------------------------------------------------------------------------

EDGES_SQL = """
SELECT * FROM marts.cross_project_linkages
ORDER BY CASE linkage_type WHEN 'dependency' THEN 0 WHEN 'integration_point' THEN 1 WHEN 'shared_system' THEN 2 ELSE 3 END,
         strength DESC, project_id_a, project_id_b
LIMIT ?
"""


def _network(site: Site, projects: list[dict[str, Any]]) -> None:
    edges = rows(site.con, EDGES_SQL, [MAX_NETWORK_EDGES])
    linked = {e["project_id_a"] for e in edges} | {e["project_id_b"] for e in edges}
    nodes = [{"project_id": p["project_id"], "rag": p["rag"], "label": p["project_name"] or p["project_id"],
              "hover": f"{p['project_name'] or p['project_id']} ({p['program_id']}): {p['rag']}"}
             for p in projects if p["project_id"] in linked]
    names = {p["project_id"]: p["project_name"] or p["project_id"] for p in projects}
    for e in edges:
        e["pair"] = f"{names.get(e['project_id_a'], e['project_id_a'])} - {names.get(e['project_id_b'], e['project_id_b'])}"
        e["type"] = e["linkage_type"].replace("_", " ")
    table = site.table("linkages", [col("pair", "Projects"), col("type", "Linkage"), col("strength", "Strength", "num", 1),
                                    col("slip_days", "Slip (wd)"), col("evidence", "Evidence")], edges, filter_box=True)
    note = ("Nodes: projects coloured by computed RAG. Edges: dependency (red, labelled with the working days a link "
            "pushes its successor), integration point (purple dots), shared system (blue dashes), shared people (teal). "
            f"Hover an edge's midpoint for its evidence. The {MAX_NETWORK_EDGES} strongest linkages are drawn.")
    site.page("network.html", "chart_page.html.j2", "Cross-project linkages", charts_on=True, sections=[
        {"title": "", "anchor": "", "note": note, "chart": charts.network(nodes, edges, "network"), "table": table}])


# -- data quality ---------------------------------------------------------------------------------------


def _quality(site: Site) -> None:
    summary = rows(site.con, "SELECT coalesce(source_id, '(portfolio)') AS source_id, severity, check_name, count(*) AS findings "
                   "FROM marts.data_quality GROUP BY ALL ORDER BY severity, source_id, check_name")
    for s in summary:
        s["check_name_href"] = f"#{s['check_name']}"
    sources = rows(site.con, "SELECT source_id, kind, last_status, last_success_at, last_attempt_at, last_error, "
                   "rows_loaded, rows_quarantined FROM meta.source_state ORDER BY source_id")
    findings = rows(site.con, "SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY check_name ORDER BY severity, "
                    "source_id, object_key) AS n, count(*) OVER (PARTITION BY check_name) AS total "
                    "FROM marts.data_quality) WHERE n <= ? ORDER BY severity, check_name, n", [MAX_FINDINGS_PER_CHECK])
    by_check: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in findings:
        by_check[f["check_name"]].append(f)
    sections = [
        {"title": "Findings by source and severity", "anchor": "summary", "note": "", "chart": "", "table": site.table(
            "summary", [col("source_id", "Source"), col("severity", "Severity", "severity"),
                        col("check_name", "Check", "link"), col("findings", "Findings")], summary)},
        {"title": "Sources", "anchor": "sources", "note": "A failed source keeps its last good data, marked stale.",
         "chart": "", "table": site.table("sources-table", [
             col("source_id", "Source"), col("kind", "Kind"), col("last_status", "Last load"),
             col("last_success_at", "Data from"), col("last_error", "Why it failed"), col("rows_loaded", "Rows"),
             col("rows_quarantined", "Quarantined")], sources)}]
    for check, found in by_check.items():
        more = f"{found[0]['total'] - len(found)} more: sightline query \"SELECT * FROM marts.data_quality WHERE " \
               f"check_name = '{check}'\"" if found[0]["total"] > len(found) else ""
        sections.append({"title": f"{check} ({found[0]['total']})", "anchor": check, "note": "", "chart": "",
                         "table": site.table(f"check-{check}", [
                             col("severity", "Severity", "severity"), col("source_id", "Source"),
                             col("object_key", "Where"), col("detail", "What was found and what to do")], found,
                             more=more)})
    site.page("quality.html", "chart_page.html.j2", "Data quality", sections=sections)


# -- project pages --------------------------------------------------------------------------------------

ITEMS_SQL = """
SELECT * FROM (
    SELECT w.project_id, w.source_key, w.name, w.item_type, w.status, coalesce(r.name, w.assignee_source_key) AS owner,
           w.planned_finish, w.baseline_finish, w.due_date, w.percent_complete, w.source_url, w.is_milestone,
           row_number() OVER (PARTITION BY w.project_id ORDER BY w.status IN ('done', 'cancelled'), w.is_milestone DESC,
                              w.planned_finish NULLS LAST, w.work_item_id) AS n,
           row_number() OVER (PARTITION BY w.project_id, w.is_milestone ORDER BY w.planned_finish NULLS LAST,
                              w.work_item_id) AS m,
           count(*) OVER (PARTITION BY w.project_id) AS total
    FROM core.work_items w LEFT JOIN core.resources r ON r.resource_id = w.assignee_id
    WHERE NOT w.is_summary)
WHERE n <= ? OR (is_milestone AND m <= ?) ORDER BY project_id, n
"""
ITEM_COLUMNS = [col("source_key", "Key"), col("name", "Item"), col("item_type", "Type"), col("status", "Status"),
                col("owner", "Owner"), col("planned_finish", "Planned finish"), col("baseline_finish", "Baseline"),
                col("due_date", "Due"), col("percent_complete", "%", "num", 0), col("source_url", "Open at source", "locator")]


def _project_pages(site: Site, projects: list[dict[str, Any]]) -> None:
    items: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in rows(site.con, ITEMS_SQL, [MAX_ITEMS_PER_PROJECT, MAX_MILESTONES_PER_PROJECT]):
        items[item["project_id"]].append(item)
    risks = _grouped(site, "SELECT project_id, title, severity, status, owner, due_date, mitigation FROM core.risks "
                     "WHERE project_id IS NOT NULL ORDER BY is_open DESC, severity DESC, due_date")
    pushes = _grouped(site, "SELECT project_id_a AS project_id, project_id_b AS other, slip_days, evidence "
                      "FROM marts.cross_project_linkages WHERE linkage_type = 'dependency' UNION ALL "
                      "SELECT project_id_b, project_id_a, slip_days, evidence FROM marts.cross_project_linkages "
                      "WHERE linkage_type = 'dependency' ORDER BY slip_days DESC")
    for p in projects:
        mine = items.get(p["project_id"], [])
        total = mine[0]["total"] if mine else 0
        shown = [i for i in mine if i["n"] <= MAX_ITEMS_PER_PROJECT]
        more = (f"{total - len(shown)} more items: sightline query \"SELECT * FROM core.work_items WHERE project_id = "
                f"'{p['project_id']}'\"" if total > len(shown) else "")
        site.page(p["href"], "project.html.j2", p["project_name"] or p["project_id"], p=p,
                  milestones=site.table("milestone-items", ITEM_COLUMNS, [i for i in mine if i["is_milestone"]]),
                  risks=site.table("risk-items", [col("title", "Risk"), col("severity", "Severity", "num", 0),
                                                  col("status", "Status"), col("owner", "Owner"), col("due_date", "Due"),
                                                  col("mitigation", "Mitigation")], risks.get(p["project_id"], [])),
                  pushes=site.table("pushes", [col("other", "Linked project"), col("slip_days", "Slip (wd)"),
                                               col("evidence", "Link")], pushes.get(p["project_id"], [])),
                  items=site.table("items", ITEM_COLUMNS, shown, filter_box=True, more=more))


def _grouped(site: Site, sql: str) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows(site.con, sql):
        grouped[r["project_id"]].append(r)
    return grouped
