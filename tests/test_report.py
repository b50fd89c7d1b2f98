"""The static HTML report, written from the two-week sample (tests/support/report_history.py): every page is
there, the numbers on the pages are the marts' (queried here), nothing is fetched from outside, the attention
list carries the planted cases, and a real browser opens every page without a console error."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from lxml import html

from reporting.site import PAGES, write_report
from reporting.warehouse import project_href

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / "var" / "screenshots"
README_IMAGES = REPO / "docs" / "img"
URL_ATTRIBUTE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", re.I)


@pytest.fixture(scope="module")
def report(two_week_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_report(two_week_sample, tmp_path_factory.mktemp("report") / "out").parent


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def page(report: Path, name: str) -> html.HtmlElement:
    return html.fromstring((report / name).read_text(encoding="utf-8"))


def cells(row: html.HtmlElement) -> list[str]:
    return [" ".join(td.text_content().split()) for td in row.findall("td")]


def test_every_page_and_one_page_per_project(report: Path, two_week_sample: Path) -> None:
    for name, _ in PAGES:
        assert (report / name).is_file(), name
    projects = [p for (p,) in query(two_week_sample, "SELECT project_id FROM marts.project_health")]
    assert len(projects) == 9
    for project_id in projects:
        assert (report / project_href(project_id)).is_file(), project_id
    assert (report / "assets" / "plotly.min.js").stat().st_size > 1_000_000  # shipped once, in the folder


def test_overview_rows_carry_the_marts_numbers(report: Path, two_week_sample: Path) -> None:
    tree = page(report, "index.html")
    rows = {row.find("td/a").text_content(): cells(row) for row in tree.xpath("//table[@id='overview']/tbody/tr[not(@class)]")}
    found = query(two_week_sample, "SELECT p.name, h.rag, h.pct_complete, h.spi, h.cpi, h.open_risks_high, h.forecast_finish "
                  "FROM marts.project_health h JOIN core.projects p USING (project_id)")
    assert set(rows) == {name for name, *_ in found}
    for name, rag, pct, spi, cpi, high, forecast in found:
        row = rows[name]
        assert row[1] == rag
        assert row[4] == (f"{pct:.1f}" if pct is not None else "-")
        assert row[8] == (f"{spi:.2f}" if spi is not None else "-")
        assert row[9] == (f"{cpi:.2f}" if cpi is not None else "-")
        assert row[10] == str(high)
        assert row[5] == (str(forecast) if forecast else "")
    # the sample's planted statuses: CRM migration reports green, rated red two snapshots running is not
    # the case here (last week it was green), but the mismatch is shown; the loyalty programme is unknown
    assert "mismatch" in rows["CRM migration"][2] and rows["Loyalty programme"][1] == "unknown"
    assert "stale" in rows["Customer API platform"][11]


def test_program_rows_and_portfolio_total(report: Path, two_week_sample: Path) -> None:
    tree = page(report, "index.html")
    for program_id, name, pct, rag, projects in query(
            two_week_sample, "SELECT program_id, program_name, pct_complete, rag, projects_total FROM marts.program_rollup"):
        row = cells(tree.xpath(f"//tbody[@id='program-{program_id}']/tr[@class='program']")[0])
        assert row[0] == f"{name or program_id} ({projects} projects)"
        assert (row[1], row[4]) == (rag, f"{pct:.1f}")
    # the total, sums first: work-weighted over every project that has work
    work = query(two_week_sample, "SELECT pct_complete_work, work_hours_total, rag FROM marts.project_health")
    weighted = [(p, w) for p, w, _ in work if p is not None and w]
    expected = sum(p * w for p, w in weighted) / sum(w for _, w in weighted)
    total = cells(tree.xpath("//table[@id='overview']/tfoot/tr")[0])
    assert total[0] == f"Portfolio: {len(work)} projects"
    assert total[4] == f"{expected:.1f}"
    reds = sum(1 for *_, rag in work if rag == "red")
    assert total[3].startswith(f"{reds} red,")


def test_no_page_reaches_outside_except_jira_links_in_the_data(report: Path, two_week_sample: Path) -> None:
    allowed = {u for (u,) in query(two_week_sample, "SELECT source_url FROM core.work_items UNION "
                                   "SELECT source_url FROM core.projects") if u}
    for path in report.rglob("*.html"):
        for url in URL_ATTRIBUTE.findall(path.read_text(encoding="utf-8")):
            if url.startswith(("http://", "https://", "//")):
                assert url in allowed, (path.name, url)
            elif not url.startswith("#"):
                target = (path.parent / url.split("#")[0]).resolve()
                assert target.is_file(), (path.name, url)  # every relative link leads somewhere
        assert path.stat().st_size < 500_000, path  # plotly.js is referenced, never inlined


def test_attention_list_carries_the_planted_cases(report: Path, two_week_sample: Path) -> None:
    items = [(li.get("data-kind"), " ".join(li.text_content().split()), li.find("a").get("href"))
             for li in page(report, "attention.html").xpath("//ol[@id='attention']/li")]
    text = "\n".join(t for _, t, _ in items)
    assert "CRM migration - green → red since 2026-11-09" in text
    assert "“Mobile app go-live” later by 7 days: 2026-11-16 → 2026-11-23" in text
    assert "jira-export - jira_csv source failed its last load (customer_api.csv: not UTF-8" in text
    assert "“Parallel run shows pay differences” severity 20, response due 2026-11-02" in text
    # everyone over capacity in a week from this one (2026-11-16) to four weeks ahead, as the mart says
    over = {name for (name,) in query(two_week_sample, "SELECT DISTINCT resource_name FROM marts.resource_deployment "
                                      "WHERE is_overallocated AND week_start BETWEEN ? AND ?",
                                      [dt.date(2026, 11, 16), dt.date(2026, 12, 14)])}
    assert "Sam Carter" in over and "Ravi Menon" in over
    listed = {t.split(" - ")[0].removeprefix("Over-allocated ") for k, t, _ in items if k == "Over-allocated"}
    assert listed == over
    assert items[0][0] == "RAG worsened"  # ranked first
    for _, _, href in items:
        assert (report / href.split("#")[0]).is_file(), href


def test_network_page_holds_the_payroll_expense_general_ledger_case(report: Path) -> None:
    source = (report / "network.html").read_text(encoding="utf-8")
    assert "New payroll system" in source and "New expense system" in source
    assert "Payroll: General Ledger mapping (payroll) -\\u003e Expenses: GL posting interface (expenses)" in source \
        or "Payroll: General Ledger mapping (payroll) -> Expenses: GL posting interface (expenses)" in source
    assert "General Ledger changed by both" in source


def test_project_page_lists_items_with_their_source_locators(report: Path, two_week_sample: Path) -> None:
    tree = page(report, project_href("payroll"))
    located = {cells(r)[-1] for r in tree.xpath("//table[@id='items']/tbody/tr")}
    expected = {u for (u,) in query(two_week_sample, "SELECT source_url FROM core.work_items WHERE project_id = 'payroll' "
                                    "AND NOT is_summary")}
    assert located and located <= expected and all(u.startswith("hr_programme.xlsx!Payroll!") for u in located)
    risks = {cells(r)[0] for r in tree.xpath("//table[@id='risk-items']/tbody/tr")}
    assert "Parallel run shows pay differences" in risks
    inherited = cells(tree.xpath("//table[@id='pushes']/tbody/tr")[0])
    assert inherited[0] == "expenses"


def test_report_command_writes_beside_the_warehouse(synced_sample_dir: Path, tmp_path: Path) -> None:
    # the sync's report/portfolio and report/digest assets already wrote it beside the warehouse
    assert (synced_sample_dir / "var" / "report" / "index.html").is_file()
    assert (synced_sample_dir / "var" / "report" / "digest.md").read_text(encoding="utf-8").startswith("# ")
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "report", "--config",
                           str(synced_sample_dir / "portfolio.yaml"), "--out", str(tmp_path / "r")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Report: {tmp_path / 'r' / 'index.html'}"


def test_report_of_a_missing_warehouse_says_what_to_do(tmp_path: Path) -> None:
    from reporting.warehouse import ReportError

    with pytest.raises(ReportError, match="run `sightline sync` first"):
        write_report(tmp_path / "nothing.duckdb", tmp_path / "out")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary on this machine (.ci/run installs it)")
def test_every_page_opens_in_a_browser_without_errors(report: Path) -> None:
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    names = [name for name, _ in PAGES] + [project_href("payroll")]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        tab = browser.new_page(viewport={"width": 1280, "height": 760})
        problems: list[str] = []
        outside: list[str] = []
        tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: problems.append(str(e)))
        tab.on("request", lambda r: None if r.url.startswith(("file://", "data:", "blob:")) else outside.append(r.url))
        for name in names:
            tab.goto((report / name).as_uri())
            tab.wait_for_load_state("load")
            tab.screenshot(path=str(SCREENSHOTS / f"{Path(name).stem}.png"))
            assert not problems, (name, problems)
        assert not outside
        tab.goto((report / "network.html").as_uri())
        traces = tab.evaluate("document.getElementById('network').data.map(t => [t.name, t.text || null, t.customdata || null])")
        nodes = next(text for name, text, _ in traces if name == "projects")
        assert {"New payroll system", "New expense system"} <= set(nodes)
        evidence = [e for name, _, data in traces if name and name.endswith("evidence") for e in data]
        assert any("General Ledger" in e and "payroll" in e.lower() for e in evidence)
        tab.goto((report / "index.html").as_uri())  # sorting and filtering work in the page
        tab.fill("input.filter", "payroll")
        visible = tab.evaluate("Array.from(document.querySelectorAll('#overview tbody tr:not(.program)'))"
                               ".filter(r => !r.hidden).map(r => r.cells[0].textContent)")
        assert visible == ["New payroll system"]
        browser.close()
    if os.environ.get("SIGHTLINE_README_SCREENSHOTS"):  # refresh the README's pictures from this run
        README_IMAGES.mkdir(parents=True, exist_ok=True)
        for name in ("index", "attention"):
            shutil.copyfile(SCREENSHOTS / f"{name}.png", README_IMAGES / f"report-{name}.png")
