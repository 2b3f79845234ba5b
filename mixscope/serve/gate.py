"""Who may drive the planner: this machine's own pages, never another site's.

Without a token the planner listens on loopback, where any web page the user
has open could otherwise reach it:

- **DNS rebinding.** A page from ``http://evil.example:8000`` whose name is then
  pointed at 127.0.0.1 talks to the planner as if it were its own server, but
  its requests say ``Host: evil.example:8000``. Without a token only loopback
  names (``localhost``, 127.x.x.x, ``[::1]``) and the bound address are
  accepted (421 Misdirected Request otherwise). With a token the server may be
  reached under any name, and the token is what keeps other pages out.
- **Cross-site requests.** Any page can make the browser send a POST to
  loopback. A request that is not a plain read (every method but GET, HEAD and
  OPTIONS) is refused (403) when its ``Origin`` is not the planner's own, or
  when the browser marks it as coming from another site (``Sec-Fetch-Site``).
  Clients that are not browsers send no ``Origin`` and are not affected.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from mixscope.serve.responses import send_json
from mixscope.serve.startup import is_loopback

READS = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}
_SHOWN = 80  # characters of a refused header quoted back


def host_name(authority: str) -> str:
    """The host of a ``Host`` header: ``[::1]:8000`` → ``::1``, ``LocalHost:80`` → ``localhost``."""
    authority = authority.strip().lower()
    if authority.startswith("["):
        return authority[1:authority.index("]")] if "]" in authority else authority
    return authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority


def is_allowed_host(authority: str, bind_host: str) -> bool:
    """Whether a request addressed to ``authority`` is meant for a planner bound to ``bind_host``."""
    name = host_name(authority)
    return bool(name) and (is_loopback(name) or name == host_name(bind_host))


def is_same_origin(origin: str, authority: str) -> bool:
    """Whether the ``Origin`` header names the server the request was sent to (``Host``)."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in _DEFAULT_PORTS or not parts.netloc:
        return False  # "null" (a sandboxed frame, a file), or not a web origin at all

    def normal(value: str) -> str:
        value = value.strip().lower()
        return value.removesuffix(_DEFAULT_PORTS[parts.scheme])

    return normal(parts.netloc) == normal(authority)


class RequestGate:
    """ASGI middleware applying the two rules above; ``bind_host`` None lifts the ``Host`` rule (a token
    guards the server)."""

    def __init__(self, app: Any, bind_host: str | None) -> None:
        self.app, self.bind_host = app, bind_host

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        authority = headers.get(b"host", b"").decode("latin-1")
        if self.bind_host is not None and not is_allowed_host(authority, self.bind_host):
            await send_json(send, 421, {"detail": (
                f"This planner answers only requests addressed to this machine (localhost, 127.0.0.1, [::1] "
                f"or {self.bind_host}), not to {authority[:_SHOWN]!r}. To reach it under another name, serve "
                "it with a token (mixscope serve --host ... --token ...).")})
            return
        if scope["method"] not in READS:
            origin = headers.get(b"origin")
            site = headers.get(b"sec-fetch-site", b"")
            if (origin is not None and not is_same_origin(origin.decode("latin-1"), authority)) \
                    or site in (b"cross-site", b"same-site"):
                shown = "another site" if origin is None else repr(origin.decode("latin-1")[:_SHOWN])
                await send_json(send, 403, {"detail": (
                    f"Refused a {scope['method']} from {shown}: only the planner's own page may send "
                    "requests that change anything.")})
                return
        await self.app(scope, receive, send)
