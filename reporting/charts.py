"""Plotly figures of the report. plotly.js is written once into the report's assets folder and each page
references it (``include_plotlyjs=False``), so pages stay small and nothing is fetched from a CDN."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import networkx as nx
import plotly.graph_objects as go

RAG_COLOURS = {"red": "#c62828", "amber": "#ef8f00", "green": "#2e7d32", "unknown": "#7b8794"}
LINK_STYLES = {  # linkage type -> (colour, dash, width)
    "dependency": ("#c62828", "solid", 3),
    "integration_point": ("#6a1b9a", "dot", 2),
    "shared_system": ("#1565c0", "dash", 1.5),
    "shared_resource": ("#00897b", "dashdot", 1.5),
}
HEAT_SCALE = [[0, "#f5f7fa"], [0.25, "#c8e6c9"], [0.5, "#43a047"], [0.55, "#ffb300"], [1, "#b71c1c"]]
PLOT_CONFIG = {"displaylogo": False, "responsive": True}


def to_div(fig: go.Figure, div_id: str) -> str:
    """The figure as a <div> plus its inline call; plotly.js itself comes from the page's <script src>."""
    fig.update_layout(margin={"l": 40, "r": 20, "t": 40, "b": 40}, template="plotly_white")
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=PLOT_CONFIG)


def slip_chart(milestones: list[dict[str, Any]], div_id: str) -> str:
    """The classic slip chart: each milestone's forecast finish by report date (flat = holding, rising =
    slipping), its baseline dotted, and the diagonal where a milestone's forecast meets the report date."""
    by_item: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in milestones:
        by_item[m["work_item_id"]].append(m)
    fig = go.Figure()
    for item_rows in by_item.values():
        first = item_rows[0]
        label = f"{first['milestone']} ({first['project_name']})"
        days = [r["snapshot_date"] for r in item_rows]
        fig.add_scatter(x=days, y=[r["forecast_finish"] for r in item_rows], mode="lines+markers", name=label,
                        legendgroup=first["work_item_id"])
        if first["baseline_finish"]:
            fig.add_scatter(x=days, y=[r["baseline_finish"] for r in item_rows], mode="lines", showlegend=False,
                            line={"dash": "dot", "width": 1}, name=f"baseline: {label}",
                            legendgroup=first["work_item_id"])
    if milestones:
        span = [min(m["snapshot_date"] for m in milestones), max(m["snapshot_date"] for m in milestones)]
        fig.add_scatter(x=span, y=span, mode="lines", name="report date", line={"color": "#9aa5b1", "width": 1})
    fig.update_layout(xaxis_title="report (snapshot) date", yaxis_title="forecast finish", height=420)
    return to_div(fig, div_id)


def heatmap(groups: dict[str, list[dict[str, Any]]], weeks: list[dt.date], div_id: str) -> str:
    """People x ISO weeks, coloured by utilisation (1.0 = fully booked), ▲ on over-allocated cells, the
    projects behind a cell on hover; a drop-down shows all people, one team or one program."""
    fig = go.Figure()
    names = list(groups)
    labels = [str(w) for w in weeks]
    for index, name in enumerate(names):
        people = groups[name]
        cells = [[p["weeks"].get(w, {}) for w in weeks] for p in people]
        fig.add_heatmap(
            z=[[c.get("utilisation") for c in row] for row in cells], x=labels, y=[p["name"] for p in people],
            customdata=[[c.get("projects", "") for c in row] for row in cells], zmin=0, zmax=2,
            colorscale=HEAT_SCALE, visible=index == 0, name=name,
            hovertemplate="%{y}, week of %{x}<br>utilisation %{z:.0%}<br>%{customdata}<extra></extra>",
            colorbar={"title": "utilisation", "tickformat": ".0%"},
        )
    # Over-allocation as one marker trace per view: a heatmap's texttemplate made big pages slow to open.
    for index, name in enumerate(names):
        over = [(label, p["name"]) for p in groups[name] for w, label in zip(weeks, labels, strict=True)
                if p["weeks"].get(w, {}).get("over")]
        fig.add_scatter(x=[o[0] for o in over], y=[o[1] for o in over], mode="markers", visible=index == 0,
                        marker={"symbol": "triangle-up", "color": "#1f2933", "size": 7}, hoverinfo="skip",
                        name="over-allocated", showlegend=False)
    buttons = [{"label": name, "method": "update",
                "args": [{"visible": [i == j for j in range(len(names))] * 2}]} for i, name in enumerate(names)]
    rows = max((len(p) for p in groups.values()), default=1)
    fig.update_layout(updatemenus=[{"buttons": buttons, "x": 0, "y": 1.12, "xanchor": "left"}],
                      height=max(300, 22 * rows + 140), yaxis={"autorange": "reversed"})
    return to_div(fig, div_id)


def objective_bars(objectives: list[dict[str, Any]], div_id: str) -> str:
    """Actual share of effort per objective as bars, the target share marked on each."""
    labels = [o["label"] for o in objectives]
    fig = go.Figure()
    fig.add_bar(x=labels, y=[o["actual_share"] for o in objectives], name="actual share of effort",
                marker_color="#1565c0")
    fig.add_scatter(x=labels, y=[o["target_share"] for o in objectives], mode="markers", name="target share",
                    marker={"symbol": "line-ew-open", "size": 40, "line": {"width": 4, "color": "#c62828"}})
    fig.update_layout(yaxis={"tickformat": ".0%", "title": "share of total effort"}, height=380)
    return to_div(fig, div_id)


def network(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], div_id: str) -> str:
    """Projects as nodes coloured by RAG; one edge trace per linkage type; dependency edges labelled with
    their slip. The layout is a seeded spring layout, so the same warehouse draws the same picture."""
    graph = nx.Graph()
    graph.add_nodes_from(n["project_id"] for n in nodes)
    graph.add_edges_from((e["project_id_a"], e["project_id_b"]) for e in edges)
    pos = nx.spring_layout(graph, seed=7, k=1.5 / max(1, len(nodes)) ** 0.5) if nodes else {}
    fig = go.Figure()
    for kind, (colour, dash, width) in LINK_STYLES.items():
        _edge_trace(fig, [e for e in edges if e["linkage_type"] == kind], pos, kind, colour, dash, width)
    fig.add_scatter(
        x=[pos[n["project_id"]][0] for n in nodes], y=[pos[n["project_id"]][1] for n in nodes],
        mode="markers+text", text=[n["label"] for n in nodes], textposition="top center", name="projects",
        marker={"size": 18, "color": [RAG_COLOURS.get(n["rag"], "#7b8794") for n in nodes],
                "line": {"width": 1, "color": "#1f2933"}},
        customdata=[n["hover"] for n in nodes], hovertemplate="%{customdata}<extra></extra>",
    )
    dependencies = [e for e in edges if e["linkage_type"] == "dependency"]
    if dependencies:  # one text trace, not an annotation per edge: plotly copies the layout on every annotation
        fig.add_scatter(
            x=[(pos[e["project_id_a"]][0] + pos[e["project_id_b"]][0]) / 2 for e in dependencies],
            y=[(pos[e["project_id_a"]][1] + pos[e["project_id_b"]][1]) / 2 for e in dependencies],
            mode="text", text=[f"slip {e['slip_days']} wd" for e in dependencies], name="slip",
            textfont={"color": "#c62828"}, hoverinfo="skip", showlegend=False,
        )
    fig.update_layout(height=640, xaxis={"visible": False}, yaxis={"visible": False}, hovermode="closest")
    return to_div(fig, div_id)


def _edge_trace(fig: go.Figure, edges: list[dict[str, Any]], pos: dict, kind: str, colour: str,
                dash: str, width: float) -> None:
    if not edges:
        return
    xs: list[float | None] = []
    ys: list[float | None] = []
    for e in edges:
        (xa, ya), (xb, yb) = pos[e["project_id_a"]], pos[e["project_id_b"]]
        xs += [xa, xb, None]
        ys += [ya, yb, None]
    fig.add_scatter(x=xs, y=ys, mode="lines", name=kind.replace("_", " "), hoverinfo="skip",
                    line={"color": colour, "dash": dash, "width": width})
    # Lines take no hover in plotly: an invisible marker at each midpoint carries the evidence.
    fig.add_scatter(
        x=[(pos[e["project_id_a"]][0] + pos[e["project_id_b"]][0]) / 2 for e in edges],
        y=[(pos[e["project_id_a"]][1] + pos[e["project_id_b"]][1]) / 2 for e in edges],
        mode="markers", marker={"size": 8, "color": colour, "opacity": 0.3}, showlegend=False,
        name=f"{kind} evidence", customdata=[e["evidence"] for e in edges],
        hovertemplate=f"{kind.replace('_', ' ')}: %{{customdata}}<extra></extra>",
    )
