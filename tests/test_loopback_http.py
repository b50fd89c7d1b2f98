"""The loopback server plumbing the emulators share (tests/support/loopback_http.py)."""

from __future__ import annotations

import base64
from typing import Any

import requests
from loopback_http import (
    EmulatorHandler,
    Fault,
    LoopbackEmulator,
    basic_credentials,
    bearer_token,
    next_fault,
    send_json,
)


def test_a_fault_is_used_up_only_by_requests_it_matches() -> None:
    faults = [Fault(429, 2, "/search", {"Retry-After": "1"})]
    assert next_fault(faults, "/field") is None
    assert next_fault(faults, "/search/jql") is faults[0] and next_fault(faults, "/search") is faults[0]
    assert next_fault(faults, "/search") is None and faults[0].times == 0  # two times, then spent
    anywhere = [Fault(500, 1, "wiql")]
    assert next_fault(anywhere, "/_apis/wit/wiql", lambda path, part: part in path) is anywhere[0]


def test_authorization_headers_are_read_by_scheme() -> None:
    basic = {"Authorization": "Basic " + base64.b64encode(b"me@example.com:pa:ss").decode()}
    assert basic_credentials(basic) == ("me@example.com", "pa:ss")  # the password may hold a colon
    assert bearer_token(basic) is None
    assert bearer_token({"Authorization": "Bearer abc"}) == "abc" and basic_credentials({}) is None


class _Echo(LoopbackEmulator):
    def __init__(self) -> None:
        self.listen()

    def _handler(self) -> type[EmulatorHandler]:
        class Handler(EmulatorHandler):
            def serve(self, method: str) -> None:
                path, query = self.target()
                send_json(self, 200, {}, {"method": method, "path": path, "query": query, "body": self.json_body()})

        return Handler


def test_an_emulator_knows_its_url_before_serving_and_serves_inside_with() -> None:
    echo = _Echo()
    assert echo.base_url.startswith("http://127.0.0.1:")  # bound at construction
    with echo:
        answer: Any = requests.post(f"{echo.base_url}/a/b?x=1&x=2", json={"k": 1}, timeout=5).json()
    assert answer == {"method": "POST", "path": "/a/b", "query": {"x": ["1", "2"]}, "body": {"k": 1}}
