"""`sightline new-connector NAME`: write a connector package that passes the contract on first run.

The package's files are templates (``sightline/templates/connector``, ``${name}`` placeholders,
``string.Template``); ``package/`` becomes the Python package ``sightline_<kind>``.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

TEMPLATES = Path(__file__).parent / "templates" / "connector"
KIND = re.compile(r"^[a-z][a-z0-9_]*$")


class ScaffoldError(ValueError):
    """The name or the target folder cannot be used; the message says what to do."""


def kind_of(name: str) -> str:
    """The connector kind for a NAME as typed: lower case, - and spaces as _ (``My-Tool`` -> ``my_tool``)."""
    kind = re.sub(r"[-\s]+", "_", name.strip()).lower()
    if not KIND.match(kind):
        raise ScaffoldError(f"connector name {name!r} cannot be a kind; expected a letter, then letters, digits, "
                            "- or _ (e.g. asana or service-now)")
    return kind


def placeholders(kind: str) -> dict[str, str]:
    prefix = "".join(part.capitalize() for part in kind.split("_"))
    return {
        "kind": kind,
        "package": f"sightline_{kind}",
        "distribution": f"sightline-{kind.replace('_', '-')}",
        "class_prefix": prefix,
        "class_name": f"{prefix}Connector",
        "options_name": f"{prefix}Options",
        "env_prefix": kind.upper(),
    }


def new_connector(name: str, directory: Path) -> list[Path]:
    """Write the package into ``directory/sightline-<kind>``; returns the files written.

    Refuses a target that already exists, so nothing a person wrote is overwritten."""
    values = placeholders(kind_of(name))
    target = directory / values["distribution"]
    if target.exists():
        raise ScaffoldError(f"{target} already exists; choose another --dir or remove it first")
    written = []
    for template in sorted(TEMPLATES.rglob("*.tmpl")):
        relative = template.relative_to(TEMPLATES).with_suffix("")  # drop .tmpl
        parts = [values["package"] if part == "package" else part for part in relative.parts]
        path = target.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(template.read_text(encoding="utf-8")).substitute(values), encoding="utf-8")
        written.append(path)
    return written
