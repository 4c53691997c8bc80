"""A plain HTTP client for tests and the benchmark that talk to a real server: one cookie
jar (cookies do not depend on the port, so it serves several servers alike), redirects
returned rather than followed."""

from __future__ import annotations

import http.cookiejar
import re
import threading
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

    def in_parallel(self, path: str | list[str], forms: list[dict]) -> list[int]:
        """Post each form at once (to `path`, or to the path of the same index in a list),
        one thread each, all with this browser's cookies (the same signed-in or
        half-signed-in session), released together by a barrier; returns the statuses in
        the order of `forms`."""
        paths = path if isinstance(path, list) else [path] * len(forms)
        barrier = threading.Barrier(len(forms))
        cookie = self.cookie
        statuses: list[int | None] = [None] * len(forms)

        def post(index: int) -> None:
            request = urllib.request.Request(  # noqa: S310 (http to the test server)
                self.base + paths[index], data=urllib.parse.urlencode(forms[index]).encode(),
                headers={"Cookie": cookie})
            opener = urllib.request.build_opener(_NoRedirect())
            barrier.wait()
            try:
                with opener.open(request, timeout=120) as response:
                    statuses[index] = response.status
            except urllib.error.HTTPError as error:
                statuses[index] = error.code
                error.close()

        threads = [threading.Thread(target=post, args=(i,)) for i in range(len(forms))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        return statuses
