"""Model metadata, kept beside the SQL: ``transforms/<layer>/<table>.yml``.

Each YAML holds the table's description, grain, materialisation (``table`` or ``snapshot``), keys,
references (column -> schema.table.column) and one line of documentation per column. Published
tables no model builds (``meta.*``) have a YAML in ``transforms/meta/`` with ``written_by``
instead of a materialisation. Everything else derives from these files: the published
``COMMENT ON``s, the Dagster descriptions and column schemas, the blocking checks and
``docs/models.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from transforms import TRANSFORMS_DIR

MODEL_LAYERS = ("core", "intermediate", "marts", "history")
NON_MODEL_LAYERS = ("meta",)
MATERIALISATIONS = ("table", "snapshot")
_REQUIRED = ("description", "grain", "columns")
_OPTIONAL = ("materialisation", "written_by", "keys", "references", "columns_from")


class DocsError(ValueError):
    """A model YAML that cannot be read; the message names the file and what to fix."""


@dataclass(frozen=True)
class TableDoc:
    table: str
    path: Path
    description: str
    grain: str
    materialisation: str | None  # None for a table no model builds (see written_by)
    written_by: str | None
    keys: tuple[str, ...]
    references: dict[str, tuple[str, str]]  # column -> (schema.table, column)
    columns_from: str | None
    declared: dict[str, str | None]  # the file's own columns, in order; None takes columns_from's text

    @property
    def columns(self) -> dict[str, str]:
        """column -> documentation, with the texts columns_from lends filled in."""
        lent = load_docs()[self.columns_from].columns if self.columns_from else {}
        return {name: text or lent.get(name, "") for name, text in self.declared.items()}


def _where(path: Path) -> str:
    """The file as a user finds it: relative to the repository when it is inside it."""
    return str(path.relative_to(TRANSFORMS_DIR.parent)) if path.is_relative_to(TRANSFORMS_DIR.parent) else str(path)


def _parse(path: Path) -> TableDoc:
    where = _where(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise DocsError(f"{where}: expected a mapping with {', '.join(_REQUIRED)}")
    unknown = sorted(set(data) - set(_REQUIRED) - set(_OPTIONAL))
    missing = [key for key in _REQUIRED if not data.get(key)]
    if unknown or missing:
        raise DocsError(f"{where}: unknown keys {unknown}, missing keys {missing}; "
                        f"expected {', '.join(_REQUIRED)} and optionally {', '.join(_OPTIONAL)}")
    is_model = path.parent.name in MODEL_LAYERS
    materialisation = data.get("materialisation")
    if is_model and materialisation not in MATERIALISATIONS:
        raise DocsError(f"{where}: materialisation: {materialisation!r}; expected one of {', '.join(MATERIALISATIONS)}")
    if not is_model and not data.get("written_by"):
        raise DocsError(f"{where}: written_by: missing; say which code writes this table (no model builds it)")
    if not isinstance(data["columns"], dict):
        raise DocsError(f"{where}: columns: expected a mapping of column name to its documentation")
    undeclared = [c for c in (*(data.get("keys") or ()), *(data.get("references") or {})) if c not in data["columns"]]
    if undeclared:
        raise DocsError(f"{where}: keys/references name {undeclared}, not under columns; declare them or fix the name")
    return TableDoc(
        table=f"{path.parent.name}.{path.stem}", path=path, description=" ".join(str(data["description"]).split()),
        grain=str(data["grain"]), materialisation=materialisation, written_by=data.get("written_by"),
        keys=tuple(data.get("keys") or ()), references=_references(where, data.get("references") or {}),
        columns_from=data.get("columns_from"), declared=dict(data["columns"]),
    )


def _references(where: str, references: dict) -> dict[str, tuple[str, str]]:
    parsed = {}
    for column, target in references.items():
        parts = str(target).split(".")
        if len(parts) != 3:
            raise DocsError(f"{where}: references.{column}: {target!r}; expected schema.table.column")
        parsed[column] = (f"{parts[0]}.{parts[1]}", parts[2])
    return parsed


@cache
def load_docs() -> dict[str, TableDoc]:
    """schema.table -> its documentation, for every model and published non-model table."""
    docs = {}
    for layer in (*MODEL_LAYERS, *NON_MODEL_LAYERS):
        for path in sorted((TRANSFORMS_DIR / layer).glob("*.yml")):
            doc = _parse(path)
            docs[doc.table] = doc
    for doc in docs.values():
        if doc.columns_from and doc.columns_from not in docs:
            raise DocsError(f"{_where(doc.path)}: columns_from: {doc.columns_from!r} has no YAML; expected a documented table")
    return docs


def table_doc(table: str) -> TableDoc | None:
    """The documentation of schema.table, or None when it has none."""
    return load_docs().get(table)
