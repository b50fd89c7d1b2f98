"""Write an MSPDI plan of N tasks (with summaries, baselines, links, resources, assignments and a
custom field), streaming it to disk so large plans cost no memory to make."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

START = dt.date(2026, 1, 5)


def write_plan(path: Path, tasks: int, seed: int = 11) -> Path:
    rng = random.Random(seed)
    people = 200
    with path.open("w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                  '<Project xmlns="http://schemas.microsoft.com/project">\n'
                  f"<SaveVersion>14</SaveVersion><Name>{path.name}</Name><Title>Benchmark plan</Title>"
                  "<MinutesPerDay>480</MinutesPerDay><MinutesPerWeek>2400</MinutesPerWeek>"
                  "<CurrencyCode>GBP</CurrencyCode>\n<ExtendedAttributes><ExtendedAttribute><FieldID>188743731"
                  "</FieldID><FieldName>Text1</FieldName><Alias>System</Alias></ExtendedAttribute>"
                  "</ExtendedAttributes>\n<Tasks>\n")
        out.write("<Task><UID>0</UID><ID>0</ID><Name>Benchmark plan</Name><OutlineLevel>0</OutlineLevel></Task>\n")
        for uid in range(1, tasks + 1):
            summary = uid % 20 == 1
            level = 1 if summary else 2
            day = START + dt.timedelta(days=uid % 400)
            hours = 0 if summary else rng.choice([8, 16, 24, 40])
            finish = day + dt.timedelta(days=max(1, hours // 8))
            link = (f"<PredecessorLink><PredecessorUID>{uid - 1}</PredecessorUID><Type>1</Type>"
                    f"<CrossProject>0</CrossProject><LinkLag>{rng.choice([0, 4800])}</LinkLag><LagFormat>7</LagFormat>"
                    "</PredecessorLink>") if not summary and uid % 20 != 2 else ""
            out.write(
                f"<Task><UID>{uid}</UID><ID>{uid}</ID><Name>Task {uid}</Name><WBS>{uid}</WBS>"
                f"<OutlineLevel>{level}</OutlineLevel><Summary>{int(summary)}</Summary><Milestone>0</Milestone>"
                f"<Start>{day}T08:00:00</Start><Finish>{finish}T17:00:00</Finish>"
                f"<Duration>PT{hours}H0M0S</Duration><Work>PT{hours}H0M0S</Work>"
                f"<PercentComplete>{rng.choice([0, 25, 50, 100])}</PercentComplete><Cost>{hours * 9500}</Cost>"
                f"{link}<Baseline><Number>0</Number><Start>{day}T08:00:00</Start><Finish>{finish}T17:00:00</Finish>"
                f"<Duration>PT{hours}H0M0S</Duration><Cost>{hours * 9500}</Cost></Baseline>"
                f"<ExtendedAttribute><FieldID>188743731</FieldID><Value>{rng.choice(['GL', 'CRM', 'HRIS'])}</Value>"
                "</ExtendedAttribute></Task>\n")
        out.write("</Tasks>\n<Resources>\n")
        for uid in range(1, people + 1):
            out.write(f"<Resource><UID>{uid}</UID><ID>{uid}</ID><Name>Person {uid}</Name><Type>1</Type>"
                      f"<MaxUnits>1.00</MaxUnits><EmailAddress>person{uid}@example.com</EmailAddress></Resource>\n")
        out.write("</Resources>\n<Assignments>\n")
        for uid in range(1, tasks + 1):
            if uid % 20 != 1:
                out.write(f"<Assignment><UID>{uid}</UID><TaskUID>{uid}</TaskUID><ResourceUID>{uid % people + 1}"
                          "</ResourceUID><Units>1</Units><Work>PT8H0M0S</Work></Assignment>\n")
        out.write("</Assignments>\n</Project>\n")
    return path
