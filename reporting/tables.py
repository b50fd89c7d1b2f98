"""HTML tables rendered in Python rather than through Jinja macros: a big portfolio's project pages hold
hundreds of thousands of cells, and a macro call per cell made them the slowest part of the report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markupsafe import Markup, escape


def _text(value: Any, _row: dict, _key: str, _digits: int) -> str:
    return "<td></td>" if value is None else f"<td>{escape(value)}</td>"


def _num(value: Any, _row: dict, _key: str, digits: int) -> str:
    return '<td class="n"><span class="muted">-</span></td>' if value is None else f'<td class="n">{value:.{digits}f}</td>'


def _pct(value: Any, _row: dict, _key: str, _digits: int) -> str:
    return '<td class="n">-</td>' if value is None else f'<td class="n">{value * 100:.0f}%</td>'


def _rag(value: Any, _row: dict, _key: str, _digits: int) -> str:
    rag = escape(value or "unknown")
    return f'<td data-sort="{rag}"><span class="rag rag-{rag}">{rag}</span></td>'


def _link(value: Any, row: dict, key: str, _digits: int) -> str:
    return f'<td><a href="{escape(row[key + "_href"])}">{escape(value)}</a></td>'


def _locator(value: Any, _row: dict, _key: str, _digits: int) -> str:
    """A Jira browse URL becomes a link; a file locator (plan#UID, file!sheet!row) is shown as written."""
    if not value:
        return '<td><span class="muted">-</span></td>'
    if str(value).startswith(("https://", "http://")):
        return f'<td><a href="{escape(value)}">{escape(value)}</a></td>'
    return f"<td><code>{escape(value)}</code></td>"


def _severity(value: Any, _row: dict, _key: str, _digits: int) -> str:
    return f'<td class="sev-{escape(value)}">{escape(value)}</td>'


CELLS: dict[str, Callable[[Any, dict, str, int], str]] = {
    "text": _text, "num": _num, "pct": _pct, "rag": _rag, "link": _link, "locator": _locator, "severity": _severity}


def render_table(table_id: str, columns: list[dict[str, Any]], rows: list[dict[str, Any]], *,
                 filter_box: bool = False, more: str = "") -> Markup:
    parts = [f'<input class="filter" data-table="{escape(table_id)}" placeholder="filter...">'] if filter_box else []
    parts.append(f'<table id="{escape(table_id)}" class="sortable"><thead><tr>'
                 + "".join(f"<th>{escape(c['label'])}</th>" for c in columns) + "</tr></thead><tbody>")
    cells = [(CELLS[c["kind"]], c["key"], c["digits"]) for c in columns]
    for row in rows:
        row_id = row.get("_id")
        parts.append((f'<tr id="{escape(row_id)}">' if row_id else "<tr>")
                     + "".join(cell(row[key], row, key, digits) for cell, key, digits in cells) + "</tr>")
    parts.append("</tbody></table>")
    if more:
        parts.append(f'<p class="muted">{escape(more)}</p>')
    return Markup("\n".join(parts))
