"""Issue #10 rules 8 and 11, worked by hand on a small portfolio (today is Monday 2 March 2026):
objective investment adds up to the total effort, and story points become hours at the team's
calibrated rate, else the project's, else the default 8 h/pt."""

from __future__ import annotations

import duckdb
import pytest
from conftest import build_directly, write_csv

from connectors.jira.mapping import FieldIds, issue_rows

# The models' SQL numbers are under test, not Dagster: the direct build (extract + models + publish)
# runs the same steps as a sync without the Dagster run around them.
pytestmark = pytest.mark.pipeline

HEADER = ["ID", "Task", "Status", "Start", "Finish", "% Complete", "Work", "Story points", "Team", "Objective"]
START, FINISH = "2026-03-02", "2026-03-20"
# (id, work hours, story points, team, objective tags) per project; every item is in progress.
PROJECTS: dict[str, list[tuple[str, str, str, str, str]]] = {
    # Configured weights {grow: 0.6, save: 0.4}: the tags are not consulted.
    "p1": [("P1-1", "16", "8", "Alpha", "grow; save"), ("P1-2", "8", "4", "alpha ", "")],
    "p2": [("P2-1", "4", "2", "ALPHA", "grow; keep"),   # two tags: half each
           ("P2-2", "10", "", "", "Save money"),        # tagged by the objective's name
           ("P2-3", "6", "", "", ""),                   # untagged: unaligned
           ("P2-4", "10", "", "", "grow; save; keep")],  # three tags: a third each
    "p3": [("P3-1", "", "5", "Alpha", "")],  # points only, team Alpha calibrated in p1 and p2
    # Beta has only 2 items with both, so its points-only item falls back to the project's rate.
    "p4": [("P4-1", "10", "2", "Beta", ""), ("P4-2", "10", "2", "Beta", ""), ("P4-3", "10", "1", "", ""),
           ("P4-4", "", "3", "Beta", "")],
    "p5": [("P5-1", "", "3", "Gamma", "")],  # nothing calibrates Gamma or p5: the default 8 h/pt
}
WEIGHTS = {"p1": "{grow: 0.6, save: 0.4}", "p5": "{keep: 0.5}"}

# Team Alpha: 8 pt/16 h, 4 pt/8 h, 2 pt/4 h (P1-1, P1-2, P2-1; 'alpha ' and 'ALPHA' are the same
# team) -> 28 h / 14 pt = 2 h/pt. Project p4: (10 + 10 + 10) h / (2 + 2 + 1) pt = 6 h/pt.
EFFORT = {
    "P1-1": 16, "P1-2": 8, "P2-1": 4, "P2-2": 10, "P2-3": 6, "P2-4": 10,
    "P3-1": 5 * 2,                            # team Alpha's 2 h/pt
    "P4-1": 10, "P4-2": 10, "P4-3": 10, "P4-4": 3 * 6,  # project p4's 6 h/pt
    "P5-1": 3 * 8,                            # rules.story_point_hours
}


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    folder = tmp_path_factory.mktemp("effort")
    for project, items in PROJECTS.items():
        write_csv(folder / "sheets" / f"{project}.csv", HEADER,
                  ([key, f"Item {key}", "In progress", START, FINISH, "10%", work, points, team, tags]
                   for key, work, points, team, tags in items))
    entries = "\n".join(
        f"      - {{id: {p}, name: Project {p}, source: sheets, key: {p}.csv"
        + (f", objectives: {WEIGHTS[p]}" if p in WEIGHTS else "") + "}"
        for p in PROJECTS)
    (folder / "portfolio.yaml").write_text(f"""
warehouse: var/w.duckdb
as_of: 2026-03-02
objectives:
  - {{id: grow, name: Grow revenue, target_share: 0.5}}
  - {{id: save, name: Save money, target_share: 0.3}}
  - {{id: keep, name: Keep customers, target_share: 0.2}}
programs:
  - id: all
    name: All
    projects:
{entries}
sources:
  - {{id: sheets, kind: spreadsheet, path: sheets/*.csv}}
""")
    var_dir = build_directly(folder / "portfolio.yaml")
    # The build warehouse: it also holds the intermediate models the marts are made of.
    return duckdb.connect(str(var_dir / "build.duckdb"), read_only=True)


def effort(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    rows = con.execute("""
        SELECT split_part(w.source_key, '#', -1), e.effort_hours, e.calibration, e.hours_per_point, e.method
        FROM intermediate.item_effort AS e JOIN core.work_items AS w USING (work_item_id)""").fetchall()
    return {key: rest for key, *rest in rows}


def investment(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    return dict(con.execute("SELECT objective_id, effort_hours FROM marts.objective_investment").fetchall())


def test_items_carry_their_spreadsheet_team(con) -> None:
    teams = dict(con.execute("SELECT split_part(source_key, '#', -1), team FROM core.work_items").fetchall())
    assert teams["P1-1"] == "Alpha" and teams["P4-4"] == "Beta" and teams["P2-2"] is None


def test_a_team_with_3_calibrated_items_sets_the_rate_in_another_project(con) -> None:
    rows = effort(con)
    hours, calibration, rate, method = rows["P3-1"]
    assert (calibration, rate, hours) == ("team", pytest.approx(2.0), pytest.approx(10.0))  # 5 pt x 2 h/pt
    assert method == "story points x team-calibrated 2.0 h/pt"


def test_a_team_with_only_2_calibrated_items_falls_back_to_the_project(con) -> None:
    hours, calibration, rate, _ = effort(con)["P4-4"]
    assert (calibration, rate, hours) == ("project", pytest.approx(6.0), pytest.approx(18.0))  # 3 pt x 6 h/pt


def test_no_calibration_falls_back_to_the_default(con) -> None:
    hours, calibration, rate, method = effort(con)["P5-1"]
    assert (calibration, rate, hours) == ("default", pytest.approx(8.0), pytest.approx(24.0))  # 3 pt x 8 h/pt
    assert method.startswith("story points x default 8")


def test_work_hours_win_over_points(con) -> None:
    hours, calibration, rate, method = effort(con)["P1-1"]
    assert (calibration, rate, hours, method) == ("work", None, pytest.approx(16.0), "work hours")


def test_every_item_effort_as_worked_by_hand(con) -> None:
    assert {k: pytest.approx(v[0]) for k, v in effort(con).items()} == EFFORT


def test_an_item_with_two_objectives_splits_equally_or_by_configured_weight(con) -> None:
    rows = investment(con)
    # grow: P1 (16 + 8) x 0.6 = 14.4 (configured); P2-1 4 h / 2 = 2; P2-4 10 h / 3.
    assert rows["grow"] == pytest.approx(14.4 + 2 + 10 / 3)
    # save: P1 24 x 0.4 = 9.6; P2-2 10 h (tagged by name); P2-4 10 h / 3.
    assert rows["save"] == pytest.approx(9.6 + 10 + 10 / 3)
    # keep: P2-1 2 h; P2-4 10 h / 3; P5-1 24 h x 0.5 = 12.
    assert rows["keep"] == pytest.approx(2 + 10 / 3 + 12)
    # unaligned: P2-3 6 h, P3-1 10 h, p4 48 h, and what p5's weights leave: 24 x 0.5 = 12.
    assert rows["unaligned"] == pytest.approx(6 + 10 + 48 + 12)


def test_objectives_and_unaligned_add_up_to_the_total_effort_to_the_cent(con) -> None:
    total = sum(EFFORT.values())  # 136 h, summed here from the hand-worked efforts
    assert total == 136
    assert round(sum(investment(con).values()), 2) == round(total, 2)
    shares = con.execute("SELECT sum(actual_share) FROM marts.objective_investment").fetchone()[0]
    assert shares == pytest.approx(1.0)


def test_source_weights_of_a_project_never_exceed_1(con) -> None:
    weights = dict(con.execute(
        "SELECT objective_id, weight FROM core.project_objectives WHERE project_id = 'p2'").fetchall())
    # p2 has 30 h of work; split tags: grow 2 + 10/3, save 10 + 10/3, keep 2 + 10/3 -> 24 h of 30 = 0.8.
    assert weights == {"grow": pytest.approx((2 + 10 / 3) / 30), "save": pytest.approx((10 + 10 / 3) / 30),
                       "keep": pytest.approx((2 + 10 / 3) / 30)}
    assert sum(weights.values()) == pytest.approx(0.8)


def test_the_jira_team_field_becomes_the_items_team() -> None:
    issue = {"id": "1", "key": "PAY-1", "fields": {
        "summary": "s", "project": {"key": "PAY"}, "issuetype": {"name": "Story"}, "status": {"name": "To Do"},
        "customfield_10001": {"id": "a1b2", "name": "Payments squad"}}}
    rows = issue_rows(issue, FieldIds({"team": "customfield_10001"}), "Risk")
    assert rows["issues"][0]["team"] == "Payments squad"
    assert issue_rows(issue, FieldIds({}), "Risk")["issues"][0]["team"] is None  # no team field on the site
