"""Write docs/models.md, and the generated sections of docs/metrics.md, from the model YAMLs:
``python -m warehouse.docs_gen``.

tests/test_model_docs.py fails when either is out of date, so neither drifts from the YAMLs. In
docs/metrics.md each mart's column rules sit between ``<!-- BEGIN generated: marts.x -->`` and
``<!-- END generated -->``; the prose around them is written by hand and left as it is.
"""

from __future__ import annotations

import re

from transforms import TRANSFORMS_DIR
from warehouse.docs import MODEL_LAYERS, NON_MODEL_LAYERS, TableDoc, load_docs

MODELS_MD = TRANSFORMS_DIR.parent / "docs" / "models.md"
METRICS_MD = TRANSFORMS_DIR.parent / "docs" / "metrics.md"
GENERATED = re.compile(r"(<!-- BEGIN generated: ([a-z_]+\.[a-z_]+) -->\n)(.*?)(<!-- END generated -->)", re.DOTALL)
REGENERATE = ".venv/bin/python -m warehouse.docs_gen"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _table(doc: TableDoc) -> list[str]:
    built = f"materialisation `{doc.materialisation}`" if doc.materialisation else f"written by {doc.written_by}"
    lines = [f"### {doc.table}", "", doc.description, "", f"- Grain: {doc.grain}; {built}."]
    if doc.keys:
        lines.append(f"- Key: ({', '.join(doc.keys)})")
    for column, (target, target_column) in doc.references.items():
        lines.append(f"- References: `{column}` -> `{target}.{target_column}`")
    lines += ["", "| column | meaning |", "|---|---|"]
    lines += [f"| `{name}` | {_cell(text)} |" for name, text in doc.columns.items()]
    return [*lines, ""]


def render() -> str:
    """The whole of docs/models.md."""
    docs = load_docs()
    lines = [
        "# Models",
        "",
        "Generated from `transforms/<schema>/<table>.yml` by `" + REGENERATE + "`; edit the YAML, not this file.",
        "Intermediate models are built but not published; the other schemas are published with these",
        "texts as their `COMMENT ON`.",
        "",
    ]
    for layer in (*MODEL_LAYERS, *NON_MODEL_LAYERS):
        lines += [f"## {layer}", ""]
        for table in sorted(t for t in docs if t.split(".")[0] == layer):
            lines += _table(docs[table])
    return "\n".join(lines).rstrip() + "\n"


def _rules(doc: TableDoc) -> list[str]:
    """A mart's columns and their YAML texts as a table; a column that takes its text from another
    table (columns_from) is named there, so only the table's own texts are listed."""
    where = f"transforms/{doc.table.replace('.', '/')}.yml"
    lines = [f"`{doc.table}` columns, from `{where}` (generated: edit the YAML, then run `{REGENERATE}`):", "",
             "| column | rule |", "|---|---|"]
    lines += [f"| `{name}` | {_cell(text)} |" for name, text in doc.declared.items() if text]
    lent = [name for name, text in doc.declared.items() if not text]
    if lent:
        lines += ["", f"As in `{doc.columns_from}`: " + ", ".join(f"`{name}`" for name in lent) + "."]
    return [*lines, ""]


def render_metrics(text: str) -> str:
    """docs/metrics.md with every generated section rewritten from the YAML of the table it names."""
    docs = load_docs()

    def section(match: re.Match) -> str:
        table = match.group(2)
        if table not in docs:
            raise ValueError(f"{METRICS_MD.name}: generated section names {table}, which has no model YAML")
        return match.group(1) + "\n".join(_rules(docs[table])) + match.group(4)

    return GENERATED.sub(section, text)


def generated_tables(text: str) -> list[str]:
    """The tables docs/metrics.md has a generated section for, in order."""
    return [m.group(2) for m in GENERATED.finditer(text)]


def main() -> None:
    MODELS_MD.write_text(render(), encoding="utf-8")
    print(f"wrote {MODELS_MD}")
    METRICS_MD.write_text(render_metrics(METRICS_MD.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote the generated sections of {METRICS_MD}")


if __name__ == "__main__":
    main()
