"""The defaults of ``connectors.base.Connector`` that every kind relies on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import connectors
from connectors.base import Batch, Connector, ExtractContext, SourceSpec
from connectors.registry import connector_class

PACKAGES = Path(connectors.__file__).parent


class _Here(Connector):
    kind = "here"
    raw_schemas = {}  # noqa: RUF012 - a test double

    def extract(self, context: ExtractContext) -> Iterator[Batch]:
        yield from ()


@pytest.mark.parametrize(("kind", "folder"), [
    ("spreadsheet", "spreadsheet"), ("jira", "jira"), ("jira_csv", "jira"), ("msproject", "msproject"),
    ("smartsheet", "smartsheet"), ("azure_devops", "azure_devops"), ("planner_premium", "planner_premium"),
])
def test_a_built_in_kind_reads_the_staging_folder_of_its_package(kind: str, folder: str) -> None:
    found = connector_class(kind).staging_sql_dir()
    assert found == PACKAGES / folder / "staging"
    assert (found / "work_items.sql").is_file()


def test_the_default_is_beside_the_module_defining_the_subclass() -> None:
    assert _Here.staging_sql_dir() == Path(__file__).parent / "staging"


def test_http_options_make_the_retry_policy_and_keep_each_kinds_wait_default(tmp_path: Path) -> None:
    from connectors.jira.options import JiraOptions
    from connectors.planner_premium.options import PlannerPremiumOptions
    from connectors.smartsheet.options import SmartsheetOptions

    auth = {"token_env": "T"}
    options = SmartsheetOptions.model_validate(
        {"auth": auth, "timeout_seconds": 4.0, "max_retries": 2, "backoff_seconds": 0.5, "verify_tls": "ca.pem"})
    policy = options.retry_policy()
    # connect waits no longer than the 4 s read timeout; the rest as given
    assert (policy.read_timeout_seconds, policy.connect_timeout_seconds) == (4.0, 4.0)
    assert (policy.max_retries, policy.backoff_base_seconds, policy.max_wait_seconds) == (2, 0.5, 120)
    source = SourceSpec("s", "smartsheet", options, tmp_path)
    assert options.verify(source) == str(tmp_path / "ca.pem")  # relative to portfolio.yaml
    jira = JiraOptions.model_validate({"url": "https://x.atlassian.net", "auth": {"email_env": "E", **auth}})
    assert (jira.max_wait_seconds, jira.retry_policy().connect_timeout_seconds, jira.verify(source)) == (120, 10.0, True)
    planner = PlannerPremiumOptions.model_validate({"url": "https://c.crm.dynamics.com", "auth": {
        "tenant_id_env": "A", "client_id_env": "B", "client_secret_env": "C"}})
    assert planner.max_wait_seconds == 300


def test_the_planner_client_asks_with_the_shared_policy_and_the_ca_bundle_beside_portfolio_yaml(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.planner_premium.connector import PlannerPremiumConnector
    from connectors.planner_premium.options import PlannerPremiumOptions

    for name in ("A", "B", "C"):
        monkeypatch.setenv(name, f"value-{name}")
    options = PlannerPremiumOptions.model_validate({
        "url": "https://c.crm.dynamics.com", "timeout_seconds": 30, "verify_tls": "certs/ca.pem",
        "auth": {"tenant_id_env": "A", "client_id_env": "B", "client_secret_env": "C"}})
    connector = PlannerPremiumConnector(SourceSpec("pp", "planner_premium", options, tmp_path))
    client = connector.client()
    for http in (client.http, client.login):  # the data API and the token endpoint alike
        assert http.verify == str(tmp_path / "certs" / "ca.pem")  # not relative to the working directory
        # connecting waits at most 10 s even with a 30 s read timeout; the Planner wait default stays 300
        assert (http.policy.connect_timeout_seconds, http.policy.read_timeout_seconds) == (10.0, 30.0)
        assert http.policy.max_wait_seconds == 300
