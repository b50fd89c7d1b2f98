"""HTTP(S) servers on 127.0.0.1 for tests and the emulators, and throwaway certificate authorities.

``serve`` answers each request with the next (status, headers, body) of its script, and repeats
the last entry forever; it records the request headers it saw. ``Listener`` and ``LoopbackEmulator``
are the server every emulator runs on, ``EmulatorHandler`` its request handler's plumbing (quiet,
GET/POST, query and JSON body), ``Fault`` and ``next_fault`` the scripted failures (429 with
``Retry-After`` ...), ``basic_credentials``/``bearer_token`` what an ``Authorization`` header carries.
"""

from __future__ import annotations

import base64
import contextlib
import json
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Self
from urllib.parse import parse_qs, urlparse

Reply = tuple[int, dict[str, str], Any]


@dataclass
class Scripted:
    script: list[Reply]
    url: str = ""
    seen: list[dict[str, str]] = field(default_factory=list)  # the headers of each request

    def next_reply(self) -> Reply:
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]


@contextlib.contextmanager
def serve(script: list[Reply], *, tls: tuple[Path, Path] | None = None) -> Iterator[Scripted]:
    """A server answering GETs from ``script`` while the block runs; ``tls`` = (certificate chain, key)."""
    state = Scripted(list(script))
    with serving(_handler(state), tls=tls) as url:
        state.url = url
        yield state


class Listener:
    """``handler`` on a port of 127.0.0.1 the system picks, bound at once (so ``url`` is known before
    ``start``), TLS with ``tls`` = (certificate chain, key); serves, in a thread, from start to stop."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], *, tls: tuple[Path, Path] | None = None):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        if tls is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(tls[0]), str(tls[1]))
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler], *, tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """Run ``handler`` on a loopback port (TLS with ``tls`` = (certificate chain, key)) while the block
    runs; yields the base URL."""
    listener = Listener(handler, tls=tls)
    listener.start()
    try:
        yield listener.url
    finally:
        listener.stop()


class LoopbackEmulator:
    """Base of the API emulators: listens from construction, serves inside ``with``. A subclass calls
    ``self.listen()`` once its state is set and builds its handler class in ``_handler``."""

    listener: Listener

    def listen(self) -> None:
        self.listener = Listener(self._handler())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        return self.listener.url

    @property
    def server(self) -> ThreadingHTTPServer:
        return self.listener.server

    def __enter__(self) -> Self:
        self.listener.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.listener.stop()


class EmulatorHandler(BaseHTTPRequestHandler):
    """A quiet handler sending GET and POST to ``serve(method)``; ``target`` and ``json_body`` read the request."""

    def log_message(self, *args: Any) -> None:  # the tests' output stays readable
        return

    def do_GET(self) -> None:
        self.serve("GET")

    def do_POST(self) -> None:
        self.serve("POST")

    def serve(self, method: str) -> None:
        raise NotImplementedError

    def target(self) -> tuple[str, dict[str, list[str]]]:
        """The request's path and its query parameters (each name with all its values, in order)."""
        parsed = urlparse(self.path)
        return parsed.path, parse_qs(parsed.query)

    def body_bytes(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def json_body(self) -> Any:
        """The request body read as JSON; None when there is none."""
        data = self.body_bytes()
        return json.loads(data) if data else None


@dataclass
class Fault:
    """Answer the next ``times`` requests whose path matches ``path`` with ``status`` and ``headers``
    (e.g. 429 with ``Retry-After``); an emulator adds the body its API would send."""

    status: int
    times: int
    path: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def next_fault(faults: list[Fault], path: str, matches: Callable[[str, str], bool] = str.startswith) -> Fault | None:
    """The first fault left for ``path`` (``matches(path, fault.path)``), one of its times used up; None if none."""
    for fault in faults:
        if fault.times > 0 and matches(path, fault.path):
            fault.times -= 1
            return fault
    return None


def basic_credentials(headers: Mapping[str, str]) -> tuple[str, str] | None:
    """(user, password) of an ``Authorization: Basic`` header; None for any other."""
    value = headers.get("Authorization", "")
    if not value.startswith("Basic "):
        return None
    user, _, password = base64.b64decode(value[6:]).decode().partition(":")
    return user, password


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of an ``Authorization: Bearer`` header; None for any other."""
    value = headers.get("Authorization", "")
    return value.removeprefix("Bearer ") if value.startswith("Bearer ") else None


def _handler(state: Scripted) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            state.seen.append(dict(self.headers.items()))
            send_json(self, *state.next_reply())

    return Handler


def send_json(handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: Any) -> None:
    """Answer with ``body`` as JSON, plus ``headers``."""
    data = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Authority:
    ca: Path  # the CA certificate: what a client trusts
    chain: Path  # the server certificate for 127.0.0.1, signed by the CA
    key: Path


def make_authority(folder: Path, name: str) -> Authority:
    """A CA and a server certificate for 127.0.0.1 it signed, with the extensions strict clients want."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, chain = (folder / f"{name}-{part}" for part in ("ca.key", "ca.pem", "server.key",
                                                                         "server.csr", "server.pem"))
    ext = folder / f"{name}-server.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                   "extendedKeyUsage=serverAuth\nauthorityKeyIdentifier=keyid\n", encoding="ascii")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2",
             "-subj", f"/CN={name} test CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=127.0.0.1")
    _openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", chain,
             "-days", "2", "-extfile", ext)
    return Authority(ca, chain, key)


def _openssl(*args: object) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True)
