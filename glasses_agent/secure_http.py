"""HTTP transport for the LLM and service clients: https off this machine, credentials kept to their origin.

- ``require_secure_url``: a service or LLM URL must be https unless its host is a
  loopback address (127.0.0.0/8, ::1, localhost), so a bearer key never crosses a
  network in clear text.
- ``urlopen``: urllib's opener with a redirect handler that drops the
  Authorization header when a redirect leaves the origin (scheme, host, port) of
  the request, and refuses a redirect to a plain-http URL off this machine.
  urllib itself copies every header, the key included, to wherever a redirect points.
"""

from __future__ import annotations

import ipaddress
import urllib.error
import urllib.parse
import urllib.request

CREDENTIAL_HEADERS = ("authorization", "proxy-authorization", "cookie")


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def insecure_reason(url: str) -> str | None:
    """Why ``url`` may not carry a credential, or None when it may."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"not an http(s) URL: {url!r}"
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        return f"plain http to {parts.hostname} (not this machine): use https"
    return None


def require_secure_url(url: str, what: str) -> str:
    """``url`` unchanged, or ValueError when it is not https to another machine."""
    reason = insecure_reason(url)
    if reason:
        raise ValueError(f"{what}: {reason}")
    return url


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


class InsecureRedirect(urllib.error.URLError):
    """A redirect to plain http off this machine, refused before connecting."""


class _CredentialSafeRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        reason = insecure_reason(newurl)
        if reason:
            raise InsecureRedirect(f"redirect refused: {reason}")
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and origin(newurl) != origin(req.full_url):
            for name in list(new.headers):
                if name.lower() in CREDENTIAL_HEADERS:
                    del new.headers[name]
            for name in list(new.unredirected_hdrs):
                if name.lower() in CREDENTIAL_HEADERS:
                    del new.unredirected_hdrs[name]
        return new


_OPENER = urllib.request.build_opener(_CredentialSafeRedirect)


def urlopen(request: urllib.request.Request, timeout: float):
    """Like urllib.request.urlopen, with credentials kept to the request's origin."""
    return _OPENER.open(request, timeout=timeout)
