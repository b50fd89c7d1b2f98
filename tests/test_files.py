"""Finding a file source's files: globs, lists, folders named with glob characters, fingerprints."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from connectors.base import SourceError, SourceSpec
from connectors.files import find_files, fingerprint
from connectors.spreadsheet import SpreadsheetConnector


def touch(path: Path, text: str = "Task,Status\nA,Done\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_folder_named_with_glob_characters_is_taken_literally(tmp_path: Path) -> None:
    folder = tmp_path / "Projects [2026]"
    wanted = [touch(folder / "b.xlsx"), touch(folder / "a.xlsx")]
    touch(folder / "notes.txt")
    touch(tmp_path / "Projects 2" / "decoy.xlsx")  # what "[2026]" would match as a character class
    found = find_files("Projects [2026]/*.xlsx", tmp_path)
    assert found == [(wanted[1], "a.xlsx"), (wanted[0], "b.xlsx")]


def test_a_file_named_with_brackets_is_found_literally(tmp_path: Path) -> None:
    plan = touch(tmp_path / "plans" / "plan[1].xml", "<Project/>")
    touch(tmp_path / "plans" / "plan1.xml", "<Project/>")  # what the bracket pattern would match instead
    assert find_files(["plans/plan[1].xml"], tmp_path) == [(plan, "plan[1].xml")]


def test_lists_recursive_globs_and_duplicates_give_one_sorted_listing(tmp_path: Path) -> None:
    top, deep = touch(tmp_path / "sheets" / "z.csv"), touch(tmp_path / "sheets" / "team" / "a.csv")
    found = find_files(["sheets/**/*.csv", "sheets/z.csv", str(top)], tmp_path)
    assert found == [(deep, "team/a.csv"), (top, "z.csv")]  # by key name ("t" < "z"); z.csv listed once


def test_no_match_names_the_pattern_and_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"no file matches 'missing/\*\.csv' \(looked for .*missing"):
        find_files("missing/*.csv", tmp_path)


def test_file_sources_list_their_files_through_the_interface(tmp_path: Path) -> None:
    sheet = touch(tmp_path / "Trackers [old]" / "t.csv")
    spec = SourceSpec(id="s", kind="spreadsheet", options={"path": "Trackers [old]/*.csv"}, base_dir=tmp_path)
    assert SpreadsheetConnector.watches_files and SpreadsheetConnector(spec).files() == [(sheet, "t.csv")]


def test_fingerprint_hashes_content_and_skips_rehashing_an_untouched_file(tmp_path: Path) -> None:
    path = touch(tmp_path / "f.csv", "abc")
    first = fingerprint(path)
    assert first[0] == 3 and first[2] == hashlib.sha256(b"abc").hexdigest()
    stale = [first[0], first[1], "previous-hash"]
    assert fingerprint(path, stale) is stale  # same size and mtime: trusted, not re-read
