"""HTTP plumbing shared by every REST connector.

* :class:`HttpSource` — one ``requests.Session`` per source; connect and read timeouts; retries with
  exponential backoff and jitter on 429, 5xx and connection errors, honouring ``Retry-After``.
* Bounded waits: a ``Retry-After`` longer than ``max_wait_seconds`` fails the source at once with
  the wait asked for (no sleeping); an unreachable host fails within one connect timeout plus a
  short, time-boxed retry; a TLS certificate that cannot be verified is never retried.
* ``verify`` (``verify_tls``) is passed on every request, because requests' ``trust_env`` would
  otherwise let ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` silently replace a session's CA bundle.
* :func:`redact` — every message raised here has the source's secrets and any
  ``Authorization``/``Basic``/``Bearer`` material removed; :func:`redact_sources` is the one step
  every error text leaving a run goes through (the secrets of every configured source).
* :func:`token_pages`, :func:`offset_pages` — the two common ways REST APIs page;
  :func:`prefetched` reads the next page in a background thread while the caller maps the current one.
* One request at a time per source: a request, its retries and their waits hold the source's lock,
  so a prefetch thread and the caller share one keep-alive session, and a 429's ``Retry-After``
  pauses every thread of the source, not just the one that got it.
* :func:`decode_json` — orjson, several times faster than ``response.json()`` on large pages.
* :class:`HttpSourceOptions` — the request options (timeouts, retries, waits, TLS) every REST kind's
  options model derives from, and the :class:`RetryPolicy` they make.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import itertools
import json
import math
import os
import queue
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import orjson
import requests
import urllib3.exceptions
from pydantic import Field
from requests.sessions import merge_setting

from connectors.base import SourceError, SourceSpec
from connectors.options import BoolOrPath, OptionsModel, Seconds, config_problem

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
MASK = "***"
_SCHEME_MATERIAL = re.compile(r"(?i)\b(basic|bearer)\s+[A-Za-z0-9._~+/=-]{4,}")
_AUTHORIZATION = re.compile(r"""(?i)(authorization['"]?\s*[:=]\s*['"]?)(?:[a-z-]+\s+)?[^'"\s,;}]+""")
_CERT_REASON = re.compile(r"certificate verify failed: ([^(')\]]+)")
#: A plain-http URL that never leaves the machine: the one place plain http may send a credential.
LOOPBACK = re.compile(r"^http://(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(/|$)")
T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 8
    backoff_base_seconds: float = 1.0
    backoff_cap_seconds: float = 60.0
    near_limit_pause_seconds: float = 1.0  # for APIs that warn before they throttle (Jira)
    connect_timeout_seconds: float = 10.0
    read_timeout_seconds: float = 60.0
    max_wait_seconds: float = 120.0  # the longest Retry-After we are willing to sleep
    connect_retries: int = 2  # an unreachable host rarely comes back within seconds
    connect_budget_seconds: float = 25.0  # no new connect attempt once this much time has gone


DEFAULT_POLICY = RetryPolicy()

#: The description of ``max_wait_seconds``, for a kind that redeclares the field with its own default.
MAX_WAIT_DESCRIPTION = "the longest Retry-After waited for in seconds, a number >= 0 (longer fails the source)"


class HttpSourceOptions(OptionsModel):
    """The request options of every REST source. A kind with another default redeclares just that field."""

    timeout_seconds: Seconds = Field(60, gt=0, description="the read timeout in seconds, a number > 0")
    max_retries: int = Field(8, strict=True, ge=0, description="retries per request, a whole number >= 0")
    backoff_seconds: Seconds = Field(1.0, description="the first retry's backoff in seconds, a number >= 0")
    max_wait_seconds: Seconds = Field(120, description=MAX_WAIT_DESCRIPTION)
    verify_tls: BoolOrPath = Field(True, description="true, false or the path of a CA bundle")

    def retry_policy(self) -> RetryPolicy:
        """The policy these options ask for; connecting never waits longer than reading would."""
        return RetryPolicy(max_retries=self.max_retries, backoff_base_seconds=self.backoff_seconds,
                           read_timeout_seconds=self.timeout_seconds,
                           connect_timeout_seconds=min(self.timeout_seconds, 10.0),
                           max_wait_seconds=self.max_wait_seconds)

    def verify(self, source: SourceSpec) -> bool | str:
        """``verify_tls`` for requests: a CA bundle is relative to portfolio.yaml like every other path."""
        given = self.verify_tls
        return str(source.resolve(given)) if isinstance(given, str) else given


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret value and any Authorization/Basic/Bearer material masked."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _AUTHORIZATION.sub(lambda m: f"{m.group(1)}{MASK}", text)  # whatever the scheme
    return _SCHEME_MATERIAL.sub(lambda m: f"{m.group(1)} {MASK}", text)


def secret_forms(*values: str) -> list[str]:
    """The values as they may show up in a message: raw and stripped (as read and as sent), escaped
    as Python and JSON print them, URL-encoded, and each pair as Basic credentials (``user:password``
    and its base64, whichever way round)."""
    kept = list(dict.fromkeys(v for raw in values if raw for v in (raw, raw.strip()) if v.strip()))
    forms = [f for v in kept for f in (v, quote(v, safe=""), repr(v)[1:-1], json.dumps(v)[1:-1])]
    for user, password in itertools.permutations(kept, 2):
        pair = f"{user}:{password}"
        # requests encodes Basic credentials as latin-1; utf-8 covers anything else that encodes them
        forms += [pair, *{base64.b64encode(pair.encode(c, "replace")).decode() for c in ("latin-1", "utf-8")}]
    return forms


def redact_sources(text: str, sources: Iterable[SourceSpec]) -> str:
    """The one redaction step for error text that leaves a run (source state, logs, metadata, console).

    Removes, as one line, what :func:`redact` does plus the value of every environment variable a
    ``*_env`` key of any of ``sources`` names, in every form :func:`secret_forms` lists."""
    return " ".join(redact(text, configured_secrets(sources)).split())


def configured_secrets(sources: Iterable[SourceSpec]) -> list[str]:
    """The forms of the values of the environment variables the sources' ``*_env`` keys name."""
    return [form for source in sources
            for form in secret_forms(*(os.environ.get(name) or "" for name in _env_names(source.options)))]


def _env_names(options: Any) -> list[str]:
    """Names held by ``*_env`` keys at any depth of a source's options (typed model or plain mapping)."""
    if hasattr(options, "model_dump"):
        options = options.model_dump()
    if isinstance(options, Mapping):
        return [name for key, value in options.items() for name in (
            [value] if str(key).endswith("_env") and isinstance(value, str) else _env_names(value))]
    if isinstance(options, list | tuple):
        return [name for value in options for name in _env_names(value)]
    return []


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for; None when absent or unreadable (then we back off).

    Integer and fractional seconds are read as such; an HTTP date becomes the time left until it
    (0 when past); negative, non-finite and non-date words are ignored.
    """
    text = (value or "").strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        return _seconds_until(text, time.time() if now is None else now)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _seconds_until(text: str, now: float) -> float | None:
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:  # "-0000": HTTP dates are GMT whatever the local zone
        moment = moment.replace(tzinfo=dt.UTC)
    return max(0.0, moment.timestamp() - now)


def header_problem(value: str) -> str:
    """What makes ``value`` (a credential) unusable in an HTTP header, without quoting it ("" when it is fine)."""
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in value):
        return "a control character"
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return "a character outside Latin-1 (such as a typographic quote)"
    return ""


def secure_url(url: str, expected: str, secret: str = "the token") -> str:
    """``url`` when it is https, or plain http that never leaves the machine; else a config error
    (``expected``: what the key wants, e.g. "the site address, e.g. https://...")."""
    if not re.match(r"^https?://", url):
        raise config_problem(f"is the text {url!r}; expected {expected}")
    if url.startswith("http://") and not LOOPBACK.match(url):
        raise config_problem(f"plain http would send {secret} unencrypted; expected https://")
    return url


def env_credential(source_id: str, name: str, key: str, *, unset: str, unusable: str) -> str:
    """The credential in environment variable ``name`` (named by ``auth.<key>``), stripped. When it is
    empty or cannot go into an HTTP header, a SourceError naming the variable, never quoting its
    value, that ends with ``unset`` or ``unusable``: what to do."""
    value = (os.environ.get(name) or "").strip()  # a pasted token often carries a newline or CR
    where = f"{source_id}: environment variable {name} (auth.{key})"
    if not value:
        raise SourceError(f"{where} is empty or not set; {unset}")
    problem = header_problem(value)
    if problem:
        raise SourceError(f"{where} holds {problem}, which cannot be sent in an HTTP header; {unusable}")
    return value


def default_describe(source_id: str) -> Callable[[str, str, requests.Response], str]:
    def describe(method: str, path: str, response: requests.Response) -> str:
        return f"{source_id}: {method} {path} -> HTTP {response.status_code}: unexpected response from the server"

    return describe


class _Session(requests.Session):
    """A ``requests.Session`` that reads the proxy variables of the environment once per origin, not
    per request: requests walks the whole of ``os.environ`` twice a request for them (about 5% of a
    paged sync's HTTP-thread CPU, measured; see benchmarks/README.md). Everything else ``trust_env`` does (the CA bundle
    variables, .netrc) is read per request as before; the proxy variables are fixed for a source's life.
    """

    def __init__(self) -> None:
        super().__init__()
        self._environ_proxies: dict[tuple[str, str, str | None], dict[str, str]] = {}

    def merge_environment_settings(self, url: str, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        if not self.trust_env or proxies is None:  # requests merges the environment's proxies only into a dict
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        scheme, netloc = urlsplit(url)[:2]
        key = (scheme.lower(), netloc.lower(), proxies.get("no_proxy"))
        if key not in self._environ_proxies:
            self._environ_proxies[key] = requests.utils.get_environ_proxies(url, no_proxy=key[2])
        for name, value in self._environ_proxies[key].items():
            proxies.setdefault(name, value)
        if verify is True or verify is None:  # the CA bundle variables, as requests reads them
            verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or verify
        return {"proxies": _merged(proxies, self.proxies), "stream": merge_setting(stream, self.stream),
                "verify": merge_setting(verify, self.verify), "cert": merge_setting(cert, self.cert)}


def _merged(given: Any, session: Any) -> Any:
    """``merge_setting`` for two plain dicts (the session's entries, the request's over them, None
    values dropped) without its runtime-Protocol ``isinstance`` checks (~7 us each on Python 3.11)."""
    if type(given) is not dict or type(session) is not dict:
        return merge_setting(given, session)
    return {name: value for name, value in {**session, **given}.items() if value is not None}


class HttpSource:
    """Requests to one REST source with the reliability and redaction rules above."""

    def __init__(
        self, source_id: str, base_url: str, *, verify: bool | str = True, policy: RetryPolicy = DEFAULT_POLICY,
        headers: Mapping[str, str] | None = None, secrets: Iterable[str] = (),
        sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
    ):
        self.source_id = source_id
        self.base_url = base_url.rstrip("/")
        self.verify = verify
        self.policy = policy
        self.sleep = sleep
        self.clock = clock
        self.requests_made = 0
        self.secrets: list[str] = list(secrets)
        self.session = _Session()
        self.session.verify = verify
        self.session.headers.update(headers or {})
        # One request (with its retries and waits) at a time: a prefetch thread and the caller share
        # the keep-alive session, and a server's "wait" holds back every thread of this source.
        self.lock = threading.Lock()

    def pause(self, seconds: float) -> None:
        """Sleep with the source's lock held, so no other thread sends meanwhile."""
        with self.lock:
            self.sleep(seconds)

    def add_secrets(self, *values: str) -> None:
        self.secrets.extend(secret_forms(*values))

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)

    def fail(self, message: str) -> SourceError:
        """The one way errors leave this module: one line, secrets removed."""
        return SourceError(" ".join(self.redact(message).split()))

    def request(
        self, method: str, path: str, *, describe: Callable[[str, str, requests.Response], str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """A response below 400, after the retries the policy allows; SourceError otherwise."""
        with self.lock:
            return self._request(method, path, describe or default_describe(self.source_id), **kwargs)

    def _request(self, method: str, path: str, describe: Callable[[str, str, requests.Response], str],
                 **kwargs: Any) -> requests.Response:
        attempt, connect_failures, started = 0, 0, self.clock()
        while True:
            self.requests_made += 1
            try:
                response = self._send(method, path, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                connect_failures += _failed_to_connect(exc)
                self.sleep(self._wait_after_error(method, path, exc, attempt, connect_failures, started))
            else:
                if response.status_code not in RETRYABLE_STATUS or attempt >= self.policy.max_retries:
                    if response.status_code >= 400:
                        raise self.fail(describe(method, path, response)) from None
                    return response
                self.sleep(self._wait_before_retry(method, path, response, attempt))
            attempt += 1

    def _wait_after_error(self, method: str, path: str, exc: Exception, attempt: int, connect_failures: int,
                          started: float) -> float:
        """How long to wait before trying again when no answer came; raises once it is time to give up."""
        if _failed_to_connect(exc):
            wait = min(self._backoff(connect_failures - 1), 2.0)
            give_up = not self._may_reconnect(connect_failures, started, wait)
        else:
            wait, give_up = self._backoff(attempt), attempt >= self.policy.max_retries
        if give_up:
            raise self._unreachable(method, path, attempt + 1, exc) from None  # no chained text
        return wait

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        timeout = (self.policy.connect_timeout_seconds, self.policy.read_timeout_seconds)
        try:
            # verify on every call: a session-level verify loses to REQUESTS_CA_BUNDLE (trust_env).
            response = self.session.request(method, f"{self.base_url}{path}", timeout=timeout, verify=self.verify,
                                            stream=True, **kwargs)
            return read_body(response)
        except requests.exceptions.SSLError as exc:
            raise self.fail(self._tls_message(exc)) from None
        except (requests.ConnectionError, requests.Timeout):
            raise
        except requests.RequestException as exc:
            raise self.fail(f"{self.source_id}: {method} {path} failed ({type(exc).__name__}: {exc}); "
                            "check the source url") from None
        except OSError as exc:  # requests raises it for a CA bundle path that does not exist
            raise self.fail(f"{self.source_id}: {exc}; check verify_tls (a CA bundle file, true or false)") from None

    def _may_reconnect(self, failures: int, started: float, wait: float) -> bool:
        """A host that refuses or ignores connections gets a couple of quick retries, never minutes."""
        if failures > min(self.policy.connect_retries, self.policy.max_retries):
            return False
        elapsed = self.clock() - started
        return elapsed + wait + self.policy.connect_timeout_seconds <= self.policy.connect_budget_seconds

    def _wait_before_retry(self, method: str, path: str, response: requests.Response, attempt: int) -> float:
        raw = response.headers.get("Retry-After")
        asked = retry_after_seconds(raw)
        if asked is None:
            return min(self._backoff(attempt), self.policy.max_wait_seconds)
        if asked > self.policy.max_wait_seconds:
            raise self.fail(
                f"{self.source_id}: {method} {path} -> HTTP {response.status_code}: the server asked to wait "
                f"{asked:,.0f} s (Retry-After: {raw.strip()[:40]}), more than max_wait_seconds "
                f"({self.policy.max_wait_seconds:g}); try again later or raise the source's max_wait_seconds"
            )
        return asked

    def _backoff(self, attempt: int) -> float:
        delay = min(self.policy.backoff_cap_seconds, self.policy.backoff_base_seconds * 2**attempt)
        return delay * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not cryptography

    def _unreachable(self, method: str, path: str, attempts: int, exc: Exception) -> SourceError:
        what = type(exc).__name__
        if _failed_to_connect(exc):
            what += ": could not connect"
        return self.fail(f"{self.source_id}: {method} {path} failed after {attempts} attempts ({what}); "
                         f"check that {self.base_url} is reachable")

    def _tls_message(self, exc: requests.exceptions.SSLError) -> str:
        host = urlsplit(self.base_url).netloc
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" not in text:
            return (f"{self.source_id}: a TLS connection to {host} could not be set up ({type(exc).__name__}); "
                    "check that the url's scheme and port serve https")
        reason = _CERT_REASON.search(text)
        detail = f" ({reason.group(1).strip()})" if reason else ""
        return (f"{self.source_id}: the TLS certificate of {host} could not be verified{detail}; if the server "
                "uses a company or private certificate authority, set verify_tls: /path/ca.pem (that "
                "authority's CA bundle) on the source")


#: How much of a body one read asks for. requests' ``content`` asks 10 KB at a time, each read a trip
#: through urllib3's and http.client's read machinery (15% of the HTTP thread's CPU under cProfile on
#: a Jira sync's pages); one large read takes the same path (decoding, timeouts, length checks).
BODY_READ_BYTES = 1 << 20


def read_body(response: requests.Response) -> requests.Response:
    """``response`` (sent with ``stream=True``) with its whole body read, as requests reads it when not
    streaming (gzip/deflate decoded, the same exceptions on a short body, a timeout or a bad encoding,
    the connection back in the pool), in reads of up to ``BODY_READ_BYTES``."""
    # requests has no public way to hand a body to ``content``; this is what its own property stores
    response._content = b"".join(response.iter_content(BODY_READ_BYTES)) or b""
    return response


def _failed_to_connect(exc: BaseException) -> bool:
    """True when no connection was made at all (refused, unresolvable, connect timeout)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError)


# --- paging -----------------------------------------------------------------------------------------


def token_pages(
    fetch: Callable[[str | None], Mapping[str, Any] | None], items: str, *,
    token_field: str = "nextPageToken", last_field: str = "isLast",
) -> Iterator[list[Any]]:
    """Pages of ``items`` from an API that hands out a next-page token (or cursor) until the end."""
    token: str | None = None
    while True:
        page = fetch(token) or {}
        batch = list(page.get(items) or [])
        if batch:
            yield batch
        token = page.get(token_field)
        if not token or page.get(last_field, False):
            return


def offset_pages(
    fetch: Callable[[int], Mapping[str, Any] | None], items: str, *,
    total_field: str = "total", last_field: str = "isLast",
) -> Iterator[list[Any]]:
    """Pages of ``items`` from an API paged by offset, until an empty or last page, or the total."""
    start = 0
    while True:
        page = fetch(start) or {}
        batch = list(page.get(items) or [])
        if batch:
            yield batch
        start += len(batch)
        total = page.get(total_field)
        if not batch or page.get(last_field, False) or (total is not None and start >= int(total)):
            return


def decode_json(response: requests.Response) -> Any:
    """The body as JSON: orjson on the raw bytes (UTF-8, as JSON APIs send it), requests' own decoder
    for a body in another encoding. ValueError when it is not JSON."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.json()


_END = object()


def prefetched(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """``items`` in order, read up to ``depth`` ahead by a background thread while the caller works
    on the current one: the server's wait for page k+1 overlaps the mapping of page k.

    An exception raised while reading is raised here, after the items read before it. Closing this
    generator early stops the thread at its next item (a request in flight finishes first).
    """
    slots: queue.Queue[tuple[bool, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(entry: tuple[bool, Any]) -> bool:
        while not stop.is_set():
            try:
                slots.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer((True, item)):
                    return
            offer((True, _END))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, raised there
            offer((False, exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="sightline-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            ok, value = slots.get()
            if not ok:
                raise value
            if value is _END:
                return
            yield value
    finally:
        stop.set()
