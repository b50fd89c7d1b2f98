"""Jira CSV exports as Jira writes them: current Cloud and older header spellings, header case,
repeated columns, and exports made with Jira in German, French, Spanish, Portuguese or Japanese
(their header words and their dates); an export in a language not recognised is refused by name."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import pytest

from connectors.base import ExtractContext, SourceError, SourceSpec
from connectors.jira import JiraCsvConnector
from connectors.jira.csv_export import _parse
from connectors.jira.options import JiraCsvOptions
from pipelines.extract import load_source
from warehouse import db

#: The columns each test export carries, in the reader's English names.
CORE = ("Issue key", "Issue id", "Summary", "Issue Type", "Status", "Parent", "Original Estimate",
        "Remaining Estimate", "Time Spent", "Created", "Updated", "Due Date")
#: (header words in CORE's order, month as written in that language's dates, AM/PM marker or None for 24 h)
LANGUAGES = {
    "de": (("Vorgangsschlüssel", "Vorgangs-ID", "Zusammenfassung", "Vorgangstyp", "Status", "Übergeordnet",
            "Ursprüngliche Schätzung", "Verbleibende Schätzung", "Erfasste Zeit", "Erstellt", "Aktualisiert",
            "Fälligkeitsdatum"), "Mär", None),
    "fr": (("Clé de ticket", "ID de ticket", "Résumé", "Type de ticket", "État", "Parent", "Estimation originale",
            "Estimation restante", "Temps consacré", "Création", "Mise à jour", "Date d'échéance"), "févr.", None),
    "es": (("Clave de incidencia", "ID de la incidencia", "Resumen", "Tipo de Incidencia", "Estado", "Principal",
            "Estimación original", "Estimación restante", "Tiempo empleado", "Creada", "Actualizada",
            "Fecha de vencimiento"), "ago", "p. m."),
    "pt": (("Chave da item", "ID da item", "Resumo", "Tipo de item", "Status", "Pai", "Estimativa original",
            "Estimativa restante", "Tempo gasto", "Criado", "Atualizado", "Data limite"), "Out", "PM"),
    "ja": (("課題キー", "課題ID", "要約", "課題タイプ", "ステータス", "親", "初期見積もり", "残り時間の見積もり",
            "作業時間", "作成日", "更新日", "期日"), "11月", "午後"),
}
MONTH_NUMBER = {"Mär": 3, "févr.": 2, "ago": 8, "Out": 10, "11月": 11}


def write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def load(folder: Path, **options: object) -> duckdb.DuckDBPyConnection:
    typed = JiraCsvOptions.model_validate({"path": "*.csv", "timezone": "UTC", **options})
    con = duckdb.connect(str(folder / "build.duckdb"))
    db.prepare(con, {"jira_csv": dict(JiraCsvConnector.raw_schemas)})
    outcome = load_source(con, SourceSpec(id="export", kind="jira_csv", options=typed, base_dir=folder),
                          folder / "landing", retention_days=3)
    assert outcome.ok, outcome.error
    return con


def issues(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in con.execute(
        "SELECT issue_key, issue_id, summary, issue_type, status_name, parent_key, original_estimate_hours, "
        "remaining_hours, time_spent_hours, created_at, updated_at, due_date FROM raw.jira_csv__issues").fetchall()}


def _localised_rows(month: str, marker: str | None) -> list[list[str]]:
    def at(day: int, hour: int) -> str:  # an afternoon hour, on a 12 h clock where the language uses one
        clock = f"{hour - 12}:04 {marker}" if marker else f"{hour}:04"
        return f"{day:02d}/{month}/24 {clock}"

    return [
        ["LAB-1", "9001", "Epic of the lab", "Epic", "In Arbeit", "", "", "", "", at(2, 21),
         at(3, 15), ""],
        ["LAB-2", "9002", "Build the bench", "Story", "Fertig", "LAB-1", "28800", "14400", "14400", at(2, 15),
         at(12, 15), f"15/{month}/24"],
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_export_in_another_language_reads_the_core_columns(tmp_path: Path, language: str) -> None:
    header, month, marker = LANGUAGES[language]
    write(tmp_path / f"{language}.csv", list(header), _localised_rows(month, marker))
    got = issues(load(tmp_path))
    number = MONTH_NUMBER[month]
    assert got["LAB-2"] == ("9002", "Build the bench", "Story", "Fertig", "LAB-1", 8.0, 4.0, 4.0,
                            dt.datetime(2024, number, 2, 15, 4), dt.datetime(2024, number, 12, 15, 4),
                            dt.date(2024, number, 15))
    assert got["LAB-1"][:3] == ("9001", "Epic of the lab", "Epic")
    assert got["LAB-1"][8] == dt.datetime(2024, number, 2, 21, 4)


CLOUD_NOW = ["Summary", "Issue Key", "Issue id", "Issue Type", "Status", "Parent", "Parent summary",
             "Original estimate", "Remaining Estimate", "Time Spent", "Fix versions", "Fix versions", "Sprint",
             "Sprint", "Labels", "Labels", "Created", "Updated", "Due date"]
OLDER = ["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Parent id", "Parent summary",
         "Original Estimate", "Remaining Estimate", "Time Spent", "Fix Version/s", "Fix Version/s", "Sprint",
         "Sprint", "Labels", "Labels", "Created", "Updated", "Due Date"]
ROW = ["Post journals", "FIN-2", "502", "Story", "Done", "501", "Ledger epic", "36000", "7200", "28800", "R1", "R2",
       "Sprint 1", "Sprint 2", "gl", "backend", "03/Jan/24 10:00 AM", "12/Jan/24 3:04 PM", "15/Jan/24"]
EPIC = ["Ledger epic", "FIN-1", "501", "Epic", "In Progress", "", "", "", "", "", "", "", "", "", "", "",
        "02/Jan/24 9:00 AM", "02/Jan/24 9:00 AM", ""]


@pytest.mark.parametrize("header", [CLOUD_NOW, OLDER], ids=["cloud-now", "older"])
def test_current_and_older_header_spellings_read_the_same(tmp_path: Path, header: list[str]) -> None:
    write(tmp_path / "export.csv", header, [EPIC, ROW])
    con = load(tmp_path)
    story = con.execute(
        "SELECT original_estimate_hours, remaining_hours, time_spent_hours, sprint_name, labels, parent_id, "
        "updated_at, due_date FROM raw.jira_csv__issues WHERE issue_key = 'FIN-2'").fetchone()
    # 36000 s = 10 h, 7200 s = 2 h, 28800 s = 8 h; the second Sprint column is the latest sprint.
    assert story == (10.0, 2.0, 8.0, "Sprint 2", ["gl", "backend"], "501", dt.datetime(2024, 1, 12, 15, 4),
                     dt.date(2024, 1, 15))
    versions = con.execute("SELECT list_sort(list(version_name)) FROM raw.jira_csv__versions "
                           "WHERE issue_key = 'FIN-2'").fetchone()[0]
    assert versions == ["R1", "R2"]


def test_an_export_in_an_unknown_language_is_refused_naming_its_columns(tmp_path: Path) -> None:
    write(tmp_path / "it.csv", ["Riepilogo", "Chiave ticket", "Tipo di ticket", "Stato"],
          [["Costruire", "LAB-1", "Storia", "Fatto"]])
    spec = SourceSpec(id="export", kind="jira_csv", base_dir=tmp_path,
                      options=JiraCsvOptions.model_validate({"path": "*.csv"}))
    with pytest.raises(SourceError) as caught:
        list(JiraCsvConnector(spec).extract(ExtractContext()))
    message = str(caught.value)
    assert message.startswith("it.csv: ")
    assert "export with Jira's language set to English, or map the columns" in message
    assert "'Riepilogo', 'Chiave ticket', 'Tipo di ticket', 'Stato'" in message


def test_mapped_columns_read_an_export_in_any_language(tmp_path: Path) -> None:
    write(tmp_path / "it.csv", ["Riepilogo", "Chiave ticket", "Tipo di ticket", "Stato"],
          [["Costruire", "LAB-1", "Storia", "Fatto"]])
    con = load(tmp_path, columns={"Issue key": "Chiave ticket", "Summary": "Riepilogo",
                                  "Issue Type": "Tipo di ticket", "Status": "Stato"})
    assert con.execute("SELECT issue_key, summary, issue_type, status_name FROM raw.jira_csv__issues"
                       ).fetchall() == [("LAB-1", "Costruire", "Storia", "Fatto")]


@pytest.mark.parametrize(("text", "expected"), [
    ("12/Jan/24 3:04 PM", dt.datetime(2024, 1, 12, 15, 4)),
    ("12/Mär/24 15:04", dt.datetime(2024, 3, 12, 15, 4)),
    ("01/déc./2025 09:30", dt.datetime(2025, 12, 1, 9, 30)),
    ("12/ene/24 3:04 a. m.", dt.datetime(2024, 1, 12, 3, 4)),
    ("12/dic/24 12:15 p. m.", dt.datetime(2024, 12, 12, 12, 15)),
    ("12/Set/24 12:15 AM", dt.datetime(2024, 9, 12, 0, 15)),
    ("12/3月/24 3:04 午後", dt.datetime(2024, 3, 12, 15, 4)),
    ("05/Okt/24", dt.datetime(2024, 10, 5)),
])
def test_jira_dates_in_each_export_language(text: str, expected: dt.datetime) -> None:
    assert _parse(text, dt.UTC) == expected.replace(tzinfo=dt.UTC)


def test_a_month_no_language_has_is_an_error_naming_the_value() -> None:
    with pytest.raises(ValueError, match="'12/Foo/24 3:04 PM' is not a Jira date"):
        _parse("12/Foo/24 3:04 PM", dt.UTC)
