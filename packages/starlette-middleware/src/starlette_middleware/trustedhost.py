"""``TrustedHostMiddleware``: rejects requests whose ``Host`` header is not one of the allowed hosts.

Patterns are exact host names or ``*.example.com`` wildcards (which match subdomains, not the domain itself);
``"*"`` allows everything.  With ``www_redirect``, a request for ``example.com`` is redirected to
``www.example.com`` when only the latter is allowed.  Anything else gets a 400 "Invalid host header", and so does
a ``Host`` header that is not a well-formed ``host[:port]`` (port of digits only, IPv6 literal bracketed and
complete), whatever its name part.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from starlette_core.datastructures import URL
from starlette_core.datastructures import Headers as Headers  # upstream's module has the name
from starlette_core.responses import PlainTextResponse, RedirectResponse, Response
from starlette_core.types import ASGIApp, Receive, Scope, Send

__all__ = ["ENFORCE_DOMAIN_WILDCARD", "TrustedHostMiddleware"]

ENFORCE_DOMAIN_WILDCARD = "Domain wildcard patterns must be like '*.example.com'."

# What a host name accepted through a wildcard may be: dot-separated labels of these characters. "evil.com#.example.com"
# ends with ".example.com" too, but a URL built from it would point at evil.com; ".example.com" and "x..example.com"
# (an empty label) are no host names, and request.url ignores them. (Each label is a run between literal dots: the
# pattern matches in linear time.)
_HOST_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")


# What a Host header may be (RFC 9110 "uri-host [ ':' port ]"): a name without ':' or brackets, or a complete
# bracketed IPv6 literal, then an optional port of ASCII digits (not str.isdigit(), which takes '\xb2' too).
# Anything after the name that is not such a port ("example.com:80@evil.com", "[::1]evil.com") would reach the
# app's links with the header, so the header is rejected as a whole.
_HOST_HEADER = re.compile(r"(\[[^\]]*\]|[^:\[\]]*)(?::([0-9]+))?")

# The highest TCP port. A header with a port above it is no address either: request.url ignores such a header
# (and uses the server's address), so passing it would let the app see a host that its URLs do not carry.
_MAX_PORT = 65535


def _host_name(host: str) -> str | None:
    """The lowercased host name of a ``Host`` header value, without its port (``[::1]:8000`` -> ``[::1]``);
    None when the value is not a well-formed ``host[:port]`` (a port may have leading zeros, as in URLs).
    """
    match = _HOST_HEADER.fullmatch(host)
    if match is None:
        return None
    name, port = match.groups()
    if port is not None:
        port = port.lstrip("0")  # (in Python: "0*[0-9]+" in the pattern would backtrack quadratically)
        if len(port) > 5 or (port and int(port) > _MAX_PORT):
            return None
    return name.lower()


class TrustedHostMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        allowed_hosts: Sequence[str] | None = None,
        www_redirect: bool = True,
    ) -> None:
        if allowed_hosts is None:
            allowed_hosts = ["*"]

        for pattern in allowed_hosts:
            assert "*" not in pattern[1:], ENFORCE_DOMAIN_WILDCARD
            if pattern.startswith("*") and pattern != "*":
                assert pattern.startswith("*."), ENFORCE_DOMAIN_WILDCARD

        self.app = app
        self.allowed_hosts = list(allowed_hosts)
        self.allow_any = "*" in allowed_hosts
        self.www_redirect = www_redirect

        exact = {pattern.lower() for pattern in allowed_hosts if not pattern.startswith("*")}
        self._exact_hosts = frozenset(exact)
        # "*.example.com" matches any host ending in ".example.com".
        self._wildcard_suffixes = tuple(pattern[1:].lower() for pattern in allowed_hosts if pattern.startswith("*."))
        # Hosts that are not allowed themselves but whose "www." form is.
        self._www_hosts = frozenset(host[4:] for host in exact if host.startswith("www."))
        # Raw Host header values accepted as they are, without decoding: the exact hosts that are already what
        # _host_name() makes of them (lowercase, no port).  Any other value takes the general path below.
        self._raw_exact_hosts = frozenset(
            host.encode("latin-1") for host in exact if _host_name(host) == host and host.isascii()
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.allow_any or scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        host: str | None = ""
        for name, value in scope["headers"]:
            if name == b"host":
                if value in self._raw_exact_hosts:
                    await self.app(scope, receive, send)
                    return
                host = _host_name(value.decode("latin-1"))
                break

        if host is not None and self._is_allowed(host):
            await self.app(scope, receive, send)
            return

        response: Response | None = None
        if self.www_redirect and host in self._www_hosts:  # (None, a malformed header, is in no set)
            url = URL(scope=scope)
            # The URL ignores a Host header that is not a valid host[:port]: then there is no redirect either.
            if (url.hostname or "").lower() == host:
                response = RedirectResponse(url=str(url.replace(netloc="www." + url.netloc)))
        if response is None:
            # (A new response each time: middleware further out may change the headers it sends.)
            response = PlainTextResponse("Invalid host header", status_code=400)
        await response(scope, receive, send)

    def _is_allowed(self, host: str) -> bool:
        """Whether a well-formed host name is one of the allowed hosts or matches an allowed wildcard."""
        if host in self._exact_hosts:
            return True
        if not self._wildcard_suffixes or not host.endswith(self._wildcard_suffixes):
            return False
        return _HOST_NAME.fullmatch(host) is not None
