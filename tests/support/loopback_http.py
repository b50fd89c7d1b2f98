"""A scripted HTTP(S) server on 127.0.0.1, and throwaway certificate authorities made with openssl.

``serve`` answers each request with the next (status, headers, body) of its script, and repeats
the last entry forever; it records the request headers it saw.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

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


@contextlib.contextmanager
def serving(handler: type[BaseHTTPRequestHandler], *, tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """Run ``handler`` on a loopback port (TLS with ``tls`` = (certificate chain, key)) while the block
    runs; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


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
