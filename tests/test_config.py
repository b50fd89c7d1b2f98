"""Config errors name the file, the key path and what was expected, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.config import ConfigError, load_portfolio

VALID = """
warehouse: var/w.duckdb
timezone: Europe/London
schedule: "0 2 * * *"
objectives:
  - {id: growth, name: Grow, target_share: 0.6}
programs:
  - id: p1
    name: Program one
    projects:
      - {id: a, name: A, source: sheets, key: a.csv, objectives: {growth: 1.0}, systems: [GL]}
sources:
  - {id: sheets, kind: spreadsheet, path: "sheets/*.csv"}
"""


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "portfolio.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_portfolio(path)
    assert str(path) in str(info.value)
    return info.value.problems


def test_valid_config_loads_with_paths_relative_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "portfolio.yaml"
    path.write_text(VALID, encoding="utf-8")
    portfolio = load_portfolio(path)
    assert portfolio.warehouse == tmp_path / "var" / "w.duckdb"
    assert portfolio.sources[0].resolve("sheets") == tmp_path / "sheets"
    assert portfolio.projects[0].program_id == "p1"
    assert portfolio.projects[0].objectives == {"growth": 1.0}


@pytest.mark.parametrize(
    ("edit", "key_path", "expected"),
    [
        (("timezone: Europe/London", "timezone: Mars/Olympus"), "timezone", "IANA"),
        (('schedule: "0 2 * * *"', 'schedule: "every night"'), "schedule", "cron"),
        (("target_share: 0.6", "target_share: 1.5"), "objectives[0].target_share", "between 0 and 1"),
        (("source: sheets, key", "source: jira, key"), "programs[0].projects[0].source", "unknown source 'jira'"),
        (("{growth: 1.0}", "{speed: 1.0}"), "programs[0].projects[0].objectives.speed", "unknown objective"),
        (("kind: spreadsheet", "kind: trello"), "sources[0].kind", "unknown source kind 'trello'"),
        ((', path: "sheets/*.csv"', ""), "sources[0].path", "is missing"),
        (("id: a,", "id: A B,"), "programs[0].projects[0].id", "not a valid id"),
        (("name: A,", ""), "programs[0].projects[0].name", "is missing"),
        (("systems: [GL]", "systems: GL"), "programs[0].projects[0].systems", "expected a list"),
        (("warehouse: var/w.duckdb", "warehous: var/w.duckdb"), "warehous", "unknown key"),
        ((', path: "sheets/*.csv"', ', path: "x.csv", colums: {}'), "sources[0].colums", "unknown key"),
        ((', path: "sheets/*.csv"', ', path: "x.csv", columns: {nme: Task}'), "sources[0].columns.nme", "unknown field"),
        ((', path: "sheets/*.csv"', ', path: "x.csv", day_first: "yes"'), "sources[0].day_first", "true or false"),
        ((', path: "sheets/*.csv"', ', path: "x.csv", token: abc123'), "sources[0].token", "token_env"),
        ((', path: "sheets/*.csv"', ', path: "x.csv", status_map: {Parked: parked}'),
         "sources[0].status_map.Parked", "expected one of not_started"),
    ],
)
def test_each_error_names_its_key_path(tmp_path: Path, edit: tuple[str, str], key_path: str, expected: str) -> None:
    old, new = edit
    assert old in VALID
    problems = problems_of(tmp_path, VALID.replace(old, new))
    matching = [p for p in problems if p.startswith(f"{key_path}:")]
    assert matching, problems
    assert expected in matching[0]


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    text = VALID.replace("Europe/London", "Nowhere/Zone").replace("target_share: 0.6", "target_share: -1")
    problems = problems_of(tmp_path, text)
    assert {p.split(":")[0] for p in problems} >= {"timezone", "objectives[0].target_share"}


def test_duplicate_ids_and_shares_over_one(tmp_path: Path) -> None:
    text = VALID.replace(
        "  - {id: growth, name: Grow, target_share: 0.6}",
        "  - {id: growth, name: Grow, target_share: 0.6}\n  - {id: growth, name: Again, target_share: 0.6}",
    )
    problems = problems_of(tmp_path, text)
    assert any(p.startswith("objectives[1].id: duplicate id 'growth'") for p in problems)
    assert any(p.startswith("objectives: target shares add up to 1.20") for p in problems)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "programs: [\n  - id: x\n")
    assert problems[0].startswith("line ")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_portfolio(tmp_path / "nope.yaml")
