"""Write large synthetic trackers for benchmarks: N task rows, as CSV or XLSX (deterministic)."""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

HEADER = ["ID", "Project", "Task", "Status", "Start", "Finish", "% Complete", "Owner", "Estimate (h)",
          "Systems", "Depends on"]
STATUSES = ["Not started", "In progress", "Done", "Blocked", "Done", "In progress"]


def rows(n: int, seed: int = 7):
    rng = random.Random(seed)
    start = dt.date(2026, 1, 5)
    for i in range(1, n + 1):
        begin = start + dt.timedelta(days=rng.randint(0, 300))
        yield [
            f"T-{i}", f"Project {i % 50:02d}", f"Task {i}", rng.choice(STATUSES), begin.isoformat(),
            (begin + dt.timedelta(days=rng.randint(1, 30))).isoformat(), f"{rng.randint(0, 100)}%",
            f"Person {rng.randint(1, 400)}", rng.choice([8, 16, 24, 40]), rng.choice(["GL", "CRM", "HRIS"]),
            f"T-{i - 1}" if i > 1 and rng.random() < 0.5 else "",
        ]


def write_csv(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows(n))
    return path


def write_xlsx(path: Path, n: int) -> Path:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("Plan")
    sheet.write_row(0, 0, HEADER)
    for r, row in enumerate(rows(n), start=1):
        sheet.write_row(r, 0, row)
    workbook.close()
    return path
