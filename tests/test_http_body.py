"""HttpSource reads a body in large reads, and gets what requests' own ``content`` gets, byte for byte:
gzip and deflate decoded, chunked transfer joined, bodies larger than one read whole; a body cut
short still fails the way requests fails on it."""

from __future__ import annotations

import gzip
import random
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

import pytest
import requests
from loopback_http import serving

from connectors.base import SourceError
from connectors.http import BODY_READ_BYTES, HttpSource, RetryPolicy

# A body with some repetition (so gzip shrinks it) and some noise, over two reads long.
_RNG = random.Random(13)
BODY = b"".join(b'{"key": "PAY-%d", "noise": "%s"},' % (i, _RNG.randbytes(8).hex().encode())
                for i in range(BODY_READ_BYTES // 30))


def _plain(handler: BaseHTTPRequestHandler) -> None:
    _reply(handler, {"Content-Length": str(len(BODY))}, BODY)


def _gzip(handler: BaseHTTPRequestHandler) -> None:
    packed = gzip.compress(BODY)
    _reply(handler, {"Content-Encoding": "gzip", "Content-Length": str(len(packed))}, packed)


def _deflate(handler: BaseHTTPRequestHandler) -> None:
    packed = zlib.compress(BODY)
    _reply(handler, {"Content-Encoding": "deflate", "Content-Length": str(len(packed))}, packed)


def _chunked(handler: BaseHTTPRequestHandler) -> None:
    _reply(handler, {"Transfer-Encoding": "chunked"}, b"")
    for start in range(0, len(BODY), 70_001):  # uneven chunks, neither the 10 KB nor the large read size
        piece = BODY[start:start + 70_001]
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
    handler.wfile.write(b"0\r\n\r\n")


def _gzip_chunked(handler: BaseHTTPRequestHandler) -> None:
    packed = gzip.compress(BODY)
    _reply(handler, {"Content-Encoding": "gzip", "Transfer-Encoding": "chunked"}, b"")
    for start in range(0, len(packed), 4_096):
        piece = packed[start:start + 4_096]
        handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
    handler.wfile.write(b"0\r\n\r\n")


def _until_close(handler: BaseHTTPRequestHandler) -> None:
    handler.close_connection = True
    _reply(handler, {"Connection": "close"}, BODY)  # no length: the body ends when the connection does


def _truncated(handler: BaseHTTPRequestHandler) -> None:
    handler.close_connection = True
    _reply(handler, {"Content-Length": str(len(BODY))}, BODY[: len(BODY) // 3])


def _reply(handler: BaseHTTPRequestHandler, headers: dict[str, str], body: bytes) -> None:
    handler.send_response(200)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def _handler(answer: Callable[[BaseHTTPRequestHandler], None]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # chunked transfer needs 1.1

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            answer(self)

    return Handler


@pytest.mark.parametrize("answer", [_plain, _gzip, _deflate, _chunked, _gzip_chunked, _until_close],
                         ids=lambda f: f.__name__.strip("_"))
def test_body_is_what_requests_reads(answer: Callable[[BaseHTTPRequestHandler], None]) -> None:
    with serving(_handler(answer)) as url:
        ours = HttpSource("s", url).request("GET", "/page")
        theirs = requests.get(f"{url}/page", timeout=10)
    assert ours.content == BODY  # the bytes the server meant, decoded
    assert theirs.content == BODY  # requests' own 10 KB reads agree: the oracle reads the same server
    assert ours.text == theirs.text  # text reads the stored body


def test_body_is_stored_once_and_the_connection_reused() -> None:
    with serving(_handler(_plain)) as url:
        source = HttpSource("s", url)
        first = source.request("GET", "/one")
        second = source.request("GET", "/two")
    assert first.content == second.content == BODY
    assert first.raw.closed or not first.raw.connection  # read to the end: back in the pool, nothing left to read
    assert len(source.session.get_adapter(url).poolmanager.pools) == 1


def test_a_body_cut_short_fails_as_requests_fails() -> None:
    with serving(_handler(_truncated)) as url:
        with pytest.raises(requests.exceptions.ChunkedEncodingError) as theirs:
            requests.get(f"{url}/page", timeout=10)
        with pytest.raises(SourceError) as ours:
            HttpSource("s", url, policy=RetryPolicy(max_retries=0)).request("GET", "/page")
    # the same exception, with the same text, in the wording every other request failure has
    assert str(ours.value) == f"s: GET /page failed (ChunkedEncodingError: {theirs.value}); check the source url"
    assert "bytes read" in str(ours.value)


def test_query_is_sent_as_requests_sends_it() -> None:
    """A request with no query, an empty one or a real one reaches the server as a plain session sends it."""
    seen: list[str] = []

    def record(handler: BaseHTTPRequestHandler) -> None:
        seen.append(handler.path)
        _reply(handler, {"Content-Length": "2"}, b"{}")

    asks: list[dict] = [{}, {"params": None}, {"params": {}}, {"params": {"jql": "a = 'b c'", "x": ["1", "2"]}}]
    with serving(_handler(record)) as url:
        source = HttpSource("s", url)
        for ask in asks:
            source.request("GET", "/rest/search?startAt=0", **ask)
        ours, seen[:] = list(seen), []
        plain = requests.Session()
        for ask in asks:
            plain.get(f"{url}/rest/search?startAt=0", timeout=10, **ask)
    assert ours == seen
    assert ours[0] == "/rest/search?startAt=0"
    assert ours[3] == "/rest/search?startAt=0&jql=a+%3D+%27b+c%27&x=1&x=2"


def test_proxies_merge_as_requests_merges_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Session proxies, a request's own over them, a None in either dropping the scheme: as requests does."""
    monkeypatch.setenv("HTTP_PROXY", "http://env-proxy.invalid:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session_proxies = {"https": "http://session.invalid:1", "ftp": None}
    given = {"https": None, "http": "http://given.invalid:2"}
    source = HttpSource("s", "https://jira.example.com")
    plain = requests.Session()
    for session in (source.session, plain):
        session.proxies = dict(session_proxies)
    url = "https://jira.example.com/rest"
    ours = source.session.merge_environment_settings(url, dict(given), None, True, None)["proxies"]
    theirs = plain.merge_environment_settings(url, dict(given), None, True, None)["proxies"]
    assert ours == theirs == {"http": "http://given.invalid:2"}  # the session's https and ftp both dropped
