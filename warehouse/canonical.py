"""The canonical staging shape: what every connector's staging SQL must produce, per stream.

Each connector kind ships ``<stream>.sql`` files selecting exactly these columns (extra columns are
dropped, missing ones are NULL). The warehouse unions them, per stream, into ``staging.<stream>``,
which is all that ``transforms/core`` ever reads.

Keys here are the source's own keys (``PAY-12``, ``plan.xml#12``); core prefixes the source id.
"""

from __future__ import annotations

#: Optional on keyed streams: where a row is (``plan.xml, task UID 12``) and its order in the load
#: (a later file, then a later row, is larger). Core keeps one row per key - the most recently
#: updated, then the largest position - and quarantines the others naming both locations.
_WHERE = (("location", "VARCHAR"), ("position", "BIGINT"))

STAGING_STREAMS: dict[str, list[tuple[str, str]]] = {
    "projects": [
        ("source_id", "VARCHAR"),
        ("source_key", "VARCHAR"),
        ("aliases", "VARCHAR[]"),  # other words a config `key` may use for this project
        ("name", "VARCHAR"),
        ("manager", "VARCHAR"),
        ("planned_start", "DATE"),
        ("planned_finish", "DATE"),
        ("baseline_finish", "DATE"),
        ("budget", "DOUBLE"),
        ("reported_status", "VARCHAR"),
        ("source_url", "VARCHAR"),  # where a person opens the project: Jira browse URL, plan file, file!sheet
    ],
    "work_items": [
        ("source_id", "VARCHAR"),
        ("source_key", "VARCHAR"),
        ("project_source_key", "VARCHAR"),
        ("parent_source_key", "VARCHAR"),
        ("name", "VARCHAR"),
        ("item_type", "VARCHAR"),
        ("is_milestone", "BOOLEAN"),
        ("is_summary", "BOOLEAN"),
        ("status_raw", "VARCHAR"),
        ("status_default", "VARCHAR"),  # the kind's default mapping; NULL when the word is unknown
        ("assignee_key", "VARCHAR"),  # the source_key of the person in this source's resources stream
        ("planned_start", "DATE"),
        ("planned_finish", "DATE"),
        ("duration_hours", "DOUBLE"),
        ("baseline_start", "DATE"),
        ("baseline_finish", "DATE"),
        ("actual_start", "DATE"),
        ("actual_finish", "DATE"),
        ("due_date", "DATE"),
        ("percent_complete", "DOUBLE"),
        ("work_hours", "DOUBLE"),
        ("actual_work_hours", "DOUBLE"),
        ("story_points", "DOUBLE"),
        ("cost", "DOUBLE"),
        ("baseline_cost", "DOUBLE"),
        ("actual_cost", "DOUBLE"),
        ("systems", "VARCHAR[]"),
        ("objectives", "VARCHAR[]"),
        ("team", "VARCHAR"),  # the team doing the item (Jira team field, spreadsheet Team column)
        ("updated_at", "TIMESTAMP"),
        ("source_url", "VARCHAR"),  # a locator a person can open: Jira browse URL, file.xml#UID, file.xlsx!Sheet!row
        *_WHERE,
    ],
    "dependencies": [
        ("source_id", "VARCHAR"),
        ("predecessor_key", "VARCHAR"),
        ("successor_key", "VARCHAR"),
        ("predecessor_ref", "VARCHAR"),  # what the source wrote, for the data-quality report when unresolved
        # A predecessor in another source: the project (id, name, key or alias) and the item's own key
        # (or its last part, e.g. PAY-07 of hr_programme.xlsx#Payroll#PAY-07). Core resolves these.
        ("predecessor_project_ref", "VARCHAR"),
        ("predecessor_item_ref", "VARCHAR"),
        ("link_type", "VARCHAR"),
        ("lag_hours", "DOUBLE"),
    ],
    "resources": [
        ("source_id", "VARCHAR"),
        ("source_key", "VARCHAR"),
        ("name", "VARCHAR"),
        ("email", "VARCHAR"),
        ("team", "VARCHAR"),
        ("capacity_hours_per_week", "DOUBLE"),
        ("updated_at", "TIMESTAMP"),
        *_WHERE,
    ],
    "assignments": [
        ("source_id", "VARCHAR"),
        ("work_item_key", "VARCHAR"),
        ("resource_key", "VARCHAR"),
        ("units", "DOUBLE"),
        ("work_hours", "DOUBLE"),
        ("start", "DATE"),
        ("finish", "DATE"),
    ],
    "risks": [
        ("source_id", "VARCHAR"),
        ("source_key", "VARCHAR"),
        ("project_ref", "VARCHAR"),  # a project source key, alias, or configured project id
        ("title", "VARCHAR"),
        ("probability", "DOUBLE"),  # 1-5 scale
        ("impact", "DOUBLE"),  # 1-5 scale
        ("status", "VARCHAR"),
        ("owner", "VARCHAR"),
        ("due_date", "DATE"),
        ("mitigation", "VARCHAR"),
        ("updated_at", "TIMESTAMP"),
        ("probability_original", "VARCHAR"),  # as written: Likely, 7, 40%
        ("impact_original", "VARCHAR"),
        ("probability_scale", "VARCHAR"),  # the scale it was read on: 1-10, percent, Rare/Unlikely/...
        ("impact_scale", "VARCHAR"),
        *_WHERE,
    ],
    # Issues of RAID logs: risks that happened. impact is 1-5 like a risk's (from Impact, else Priority).
    "issues": [
        ("source_id", "VARCHAR"),
        ("source_key", "VARCHAR"),
        ("project_ref", "VARCHAR"),  # like a risk's
        ("title", "VARCHAR"),
        ("status", "VARCHAR"),
        ("owner", "VARCHAR"),
        ("priority", "VARCHAR"),  # as written
        ("impact", "DOUBLE"),  # 1-5 scale; NULL when not given or not readable
        ("due_date", "DATE"),
        ("resolution", "VARCHAR"),
        ("updated_at", "TIMESTAMP"),
        *_WHERE,
    ],
    # The rest of a RAID log: assumptions, decisions and dependencies (which core also links when
    # both ends resolve to work items).
    "raid_log": [
        ("source_id", "VARCHAR"),
        ("source_key", "VARCHAR"),
        ("project_ref", "VARCHAR"),
        ("entry_type", "VARCHAR"),  # assumption, decision or dependency
        ("title", "VARCHAR"),
        ("status", "VARCHAR"),
        ("owner", "VARCHAR"),
        ("due_date", "DATE"),
        ("response", "VARCHAR"),
        ("predecessor_ref", "VARCHAR"),  # dependency: what it waits for ([<project>!]<item id or key>)
        ("successor_ref", "VARCHAR"),  # dependency: the item that waits
        ("updated_at", "TIMESTAMP"),
        *_WHERE,
    ],
    # What a connector left out on purpose and why (a sheet that is not a plan): data quality, info.
    "source_notes": [
        ("source_id", "VARCHAR"),
        ("location", "VARCHAR"),
        ("rule", "VARCHAR"),
        ("detail", "VARCHAR"),
    ],
    # What a project reports about itself (a status register row, a plan's custom field, a Jira
    # status report); core.status_reports keeps them all and the latest on or before as_of wins.
    "status_reports": [
        ("source_id", "VARCHAR"),
        ("source_key", "VARCHAR"),
        ("project_ref", "VARCHAR"),  # a project source key, alias, configured project id or name
        ("reported_status", "VARCHAR"),
        ("reported_at", "DATE"),
        ("reported_by", "VARCHAR"),
        ("comment", "VARCHAR"),
        ("source_url", "VARCHAR"),  # where a person can open the report (file.xlsx!Sheet!row)
    ],
    "status_changes": [
        ("source_id", "VARCHAR"),
        ("work_item_key", "VARCHAR"),
        ("changed_at", "TIMESTAMP"),
        ("from_status", "VARCHAR"),
        ("to_status", "VARCHAR"),
    ],
    # Calendars that differ from Monday-Friday (MS Project's; spreadsheets and Jira have none): per
    # project, the dates where its calendar differs from Monday-Friday (resource_key NULL), and per
    # resource of that project, the dates where the resource's calendar differs from the project's.
    "calendar_days": [
        ("source_id", "VARCHAR"),
        ("project_source_key", "VARCHAR"),
        ("resource_key", "VARCHAR"),  # the source_key of the person in this source's resources stream
        ("date", "DATE"),
        ("is_working", "BOOLEAN"),
        ("location", "VARCHAR"),  # the calendar, where a person can find it (plan.xml, calendar Standard)
    ],
}
