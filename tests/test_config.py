"""Config errors name the file, the key path and what was expected, all at once."""

from __future__ import annotations

import datetime as dt
import json
import time
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


def error_of(tmp_path: Path, text: str) -> ConfigError:
    path = tmp_path / "portfolio.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_portfolio(path)
    assert str(path) in str(info.value)
    return info.value


def problems_of(tmp_path: Path, text: str) -> list[str]:
    return error_of(tmp_path, text).problems


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


# --- typed options and defaults -------------------------------------------------------------------------


def load_text(tmp_path: Path, text: str):  # noqa: ANN201 - a Portfolio
    path = tmp_path / "portfolio.yaml"
    path.write_text(text, encoding="utf-8")
    return load_portfolio(path)


JIRA_SOURCE = """
  - id: jira
    kind: jira
    url: https://example.atlassian.net
    auth: {email_env: JIRA_EMAIL, token_env: JIRA_API_TOKEN}
"""


def test_connectors_receive_typed_options_with_their_defaults(tmp_path: Path) -> None:
    from connectors.jira import JiraConnector
    from connectors.spreadsheet import SpreadsheetConnector

    portfolio = load_text(tmp_path, VALID + JIRA_SOURCE)
    sheets, jira = portfolio.sources
    assert SpreadsheetConnector(sheets).options.path == ("sheets/*.csv",)  # one path becomes a list of one
    options = SpreadsheetConnector(sheets).options
    assert options.day_first is None and options.decimal == "auto"  # both decided per column by default
    assert (options.hours_per_day, options.days_per_week, options.days_per_month) == (8.0, 5.0, 20.0)
    options = JiraConnector(jira).options
    assert (options.page_size, options.overlap_minutes, options.max_retries, options.verify_tls) == (100, 10, 8, True)
    assert options.auth.token_env == "JIRA_API_TOKEN"
    assert portfolio.rules.red_spi == 0.90 and portfolio.rules.program_rag == "worst"
    assert portfolio.landing_retention_days == 14


def test_portfolio_is_immutable_and_hashable(tmp_path: Path) -> None:
    portfolio = load_text(tmp_path, VALID)
    assert hash(portfolio) == hash(load_portfolio(tmp_path / "portfolio.yaml"))
    with pytest.raises(ValueError, match="frozen"):
        portfolio.timezone = "UTC"  # type: ignore[misc]
    with pytest.raises(ValueError, match="frozen"):
        portfolio.rules.red_spi = 0.5  # type: ignore[misc]


def test_jira_cloud_needs_an_email_variable(tmp_path: Path) -> None:
    text = VALID + JIRA_SOURCE.replace("email_env: JIRA_EMAIL, ", "")
    problems = problems_of(tmp_path, text)
    assert [p for p in problems if p.startswith("sources[1].auth.email_env: is missing")], problems


# --- cross-references -------------------------------------------------------------------------------


def test_cross_references_are_checked_even_beside_other_problems(tmp_path: Path) -> None:
    text = VALID.replace("objectives: {growth: 1.0}, systems: [GL]}",
                         "objectives: {growth: 0.5, speed: 0.4}, systems: [GL]}\n"
                         "      - {id: b, name: B, source: sheets, key: a.csv}\n"
                         "      - {id: c, name: C, source: sheets, key: c.csv, objectives: {growth: 0.7, speed: 0.6}}") \
        .replace("timezone: Europe/London", "timezone: Nowhere/Zone")
    problems = problems_of(tmp_path, text)
    assert any(p.startswith("timezone:") for p in problems)
    assert any(p.startswith("programs[0].projects[0].objectives.speed: unknown objective") for p in problems)
    assert any(p.startswith("programs[0].projects[1].key: 'a.csv' of source 'sheets' is already the key of "
                            "project 'a'") for p in problems)
    assert any(p.startswith("programs[0].projects[2].objectives: weights add up to 1.30") for p in problems)


def test_duplicate_ids_keep_their_index_when_an_earlier_entry_is_invalid(tmp_path: Path) -> None:
    text = VALID.replace("programs:\n", "programs:\n  - {id: bad, name: Bad, pct_complete_basis: hours}\n"
                                        "  - {id: unassigned, name: Reserved}\n")
    problems = problems_of(tmp_path, text)
    assert any(p.startswith("programs[0].pct_complete_basis: is the text 'hours'; expected one of auto") for p in problems)
    assert any(p.startswith("programs[1].id: duplicate id 'unassigned'") for p in problems)


# --- patterns: judged by the engine that runs them --------------------------------------------------------


def test_status_pattern_is_validated_by_duckdb_not_python(tmp_path: Path) -> None:
    import re

    pattern = "/^(?!done).*hold/"
    re.compile(pattern[1:-1])  # Python accepts the look-ahead; DuckDB's RE2 does not
    text = VALID.replace('path: "sheets/*.csv"', f'path: "sheets/*.csv", status_map: {{"{pattern}": blocked}}')
    problems = problems_of(tmp_path, text)
    assert [p for p in problems if p.startswith(f"sources[0].status_map.{pattern}: is not a valid pattern")], problems


def test_re2_status_pattern_is_accepted(tmp_path: Path) -> None:
    text = VALID.replace('path: "sheets/*.csv"', 'path: "sheets/*.csv", status_map: {"/^On.*hold$/": blocked}')
    assert load_text(tmp_path, text).status_maps["sheets"] == {"/^on.*hold$/": "blocked"}


# --- secrets ---------------------------------------------------------------------------------------------


def test_nested_secret_key_is_refused_without_echoing_it(tmp_path: Path) -> None:
    text = VALID + JIRA_SOURCE.replace("token_env: JIRA_API_TOKEN}", "token_env: JIRA_API_TOKEN, password: s3cr3t-value}")
    error = error_of(tmp_path, text)
    assert [p for p in error.problems if p.startswith("sources[1].auth.password:") and "password_env" in p]
    assert "s3cr3t-value" not in str(error)


def test_url_with_user_info_is_refused_as_an_inline_secret(tmp_path: Path) -> None:
    text = VALID + JIRA_SOURCE.replace("https://example.atlassian.net", "https://bob:hunter2@example.atlassian.net")
    error = error_of(tmp_path, text)
    assert len(error.problems) == 1  # only this, not also an invalid-url problem
    assert error.problems[0].startswith("sources[1].url: a user name or password in a URL is a secret")
    assert "hunter2" not in str(error) and "bob" not in str(error)


# --- bounded loading -------------------------------------------------------------------------------------


def test_a_device_is_refused_at_once() -> None:
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="not a regular file"):
        load_portfolio("/dev/zero")
    assert time.perf_counter() - started < 1.0


def test_a_file_over_one_mib_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "portfolio.yaml"
    path.write_text(VALID + "#" * (1024 * 1024) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="larger than 1024 KiB"):
        load_portfolio(path)


def billion_laughs(levels: int, fan_out: int) -> str:
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * fan_out)}]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "portfolio.yaml"
    path.write_text(billion_laughs(levels=10, fan_out=9), encoding="utf-8")  # 81 aliases, 9**9 values expanded
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="aliases expand the document"):
        load_portfolio(path)
    assert time.perf_counter() - started < 2.0


def test_more_than_a_hundred_aliases_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "portfolio.yaml"
    path.write_text("x: &x 1\nys: [" + ", ".join(["*x"] * 101) + "]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="more than 100 YAML aliases"):
        load_portfolio(path)


def test_deep_nesting_is_refused_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "portfolio.yaml"
    path.write_text("x: " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_portfolio(path)


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "portfolio.yaml"
    path.write_text("x: &x [1, *x]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="contains it"):
        load_portfolio(path)


def test_a_few_anchors_still_work(tmp_path: Path) -> None:
    project_b = "      - {id: b, name: B, source: sheets, key: b.csv, systems: *core}\n"
    text = VALID.replace("systems: [GL]}", "systems: &core [GL, HR]}\n" + project_b)
    portfolio = load_text(tmp_path, text)
    assert [p.systems for p in portfolio.projects] == [("GL", "HR"), ("GL", "HR")]


# --- JSON Schema -----------------------------------------------------------------------------------------

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "portfolio.yaml"
JSON_TYPES = {"object": dict, "array": list, "string": (str, dt.date), "integer": int, "number": (int, float),
              "boolean": bool, "null": type(None)}


def schema_problems(value: object, node: dict, defs: dict, where: str = "") -> list[str]:
    """A small structural check of a value against the subset of JSON Schema that pydantic writes
    (jsonschema is not installed): $ref, type, properties, required, additionalProperties, items,
    anyOf, enum/const and a discriminated oneOf."""
    if "$ref" in node:
        return schema_problems(value, defs[node["$ref"].split("/")[-1]], defs, where)
    if "anyOf" in node:
        branches = [schema_problems(value, branch, defs, where) for branch in node["anyOf"]]
        return [] if any(not b for b in branches) else branches[0]
    if "oneOf" in node:
        target = node["discriminator"]["mapping"].get(value.get(node["discriminator"]["propertyName"]))
        return schema_problems(value, {"$ref": target}, defs, where) if target else [f"{where}: unknown kind"]
    wanted = JSON_TYPES.get(node.get("type", ""), object)
    if not isinstance(value, wanted) or (isinstance(value, bool) and node.get("type") in ("integer", "number")):
        return [f"{where}: not {node.get('type')}"]
    if "enum" in node and value not in node["enum"] or "const" in node and value != node["const"]:
        return [f"{where}: {value!r} not allowed"]
    problems = []
    if isinstance(value, dict):
        properties = node.get("properties", {})
        problems += [f"{where}.{k}: required" for k in node.get("required", []) if k not in value]
        for key, item in value.items():
            if key in properties:
                problems += schema_problems(item, properties[key], defs, f"{where}.{key}")
            elif node.get("additionalProperties") is False:
                problems.append(f"{where}.{key}: not allowed")
            elif isinstance(node.get("additionalProperties"), dict):
                problems += schema_problems(item, node["additionalProperties"], defs, f"{where}.{key}")
    if isinstance(value, list) and "items" in node:
        for index, item in enumerate(value):
            problems += schema_problems(item, node["items"], defs, f"{where}[{index}]")
    return problems


def test_schema_describes_the_sample_portfolio(capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    from pipelines.cli import main

    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    sample = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    assert schema_problems(sample, schema, schema["$defs"]) == []
    kinds = schema["properties"]["sources"]["items"]["discriminator"]["mapping"]
    assert set(kinds) == {"spreadsheet", "jira", "jira_csv", "msproject", "planner_premium", "smartsheet"}
    # The check is not vacuous: a typo, a wrong kind's key and a bad choice are all caught.
    sample["programs"][0]["projects"][0]["sorce"] = "x"
    sample["sources"][0]["url"] = "https://example.atlassian.net"
    sample["rules"] = {"program_rag": "best"}
    assert sorted(schema_problems(sample, schema, schema["$defs"])) == [
        ".programs[0].projects[0].sorce: not allowed", ".rules.program_rag: 'best' not allowed",
        ".sources[0].url: not allowed"]


def test_init_writes_the_schema_beside_the_config_and_points_to_it(tmp_path: Path) -> None:
    from pipelines.config import portfolio_json_schema
    from pipelines.starter import write_starter

    write_starter(tmp_path)
    config = (tmp_path / "portfolio.yaml").read_text(encoding="utf-8")
    assert config.splitlines()[0] == "# yaml-language-server: $schema=portfolio.schema.json"
    assert json.loads((tmp_path / "portfolio.schema.json").read_text(encoding="utf-8")) == portfolio_json_schema()
    load_portfolio(tmp_path / "portfolio.yaml")
