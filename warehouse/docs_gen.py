"""Write docs/models.md from the model YAMLs: ``python -m warehouse.docs_gen``.

tests/test_model_docs.py fails when the file is out of date, so it never drifts from the YAMLs.
"""

from __future__ import annotations

from transforms import TRANSFORMS_DIR
from warehouse.docs import MODEL_LAYERS, NON_MODEL_LAYERS, TableDoc, load_docs

MODELS_MD = TRANSFORMS_DIR.parent / "docs" / "models.md"
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


def main() -> None:
    MODELS_MD.write_text(render(), encoding="utf-8")
    print(f"wrote {MODELS_MD}")


if __name__ == "__main__":
    main()
