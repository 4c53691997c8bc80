"""A plain HTTP client for tests and the benchmark that talk to a real server: one cookie
jar (cookies do not depend on the port, so it serves several servers alike), redirects
returned rather than followed."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    def __init__(self, base: str = ""):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar),
                                                  _NoRedirect())

    def request(self, path: str, data=None) -> tuple[int, str, str]:
        """(status, Location, body) of a GET, or of a form POST when data is given."""
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            response = self.opener.open(self.base + path, data=body, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            return (response.status, response.headers.get("Location", ""),
                    response.read().decode())

    def token(self, path: str) -> str:
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                         self.request(path)[2]).group(1)

    def sign_in(self, email: str, password: str, server: str = "") -> int:
        """The sign-in form's answer: 302 when the password (alone) was accepted."""
        token = self.token(f"{server}/login")
        return self.request(f"{server}/login", {"csrf_token": token, "email": email,
                                                "password": password})[0]

    @property
    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)
