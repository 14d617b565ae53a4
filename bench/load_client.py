"""The simulated browser of ``bench/load.py``: HTTP/1.1 on a plain socket, one request
per connection, its own cookies.

The generator's threads share the server's cores, so the client is kept light (see
:class:`Client`); it only ever contacts 127.0.0.1.
"""
from __future__ import annotations

import re
import socket
import time
from collections import defaultdict


class Headers:
    """The response headers the experts look at (case-insensitive), as ``http.client`` offers them."""

    def __init__(self, lines: list[bytes]):
        self.values = defaultdict(list)
        for line in lines:
            name, _, value = line.decode("latin-1").partition(":")
            self.values[name.strip().lower()].append(value.strip())

    def get(self, name, default=None):
        found = self.values.get(name.lower())
        return found[0] if found else default

    def get_all(self, name):
        return self.values.get(name.lower()) or None


def _dechunk(body: bytes) -> bytes:
    out, rest = [], body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out.append(rest[:size])
        rest = rest[size + 2:]
    return b"".join(out)


class Client:
    """One browser: its own cookies, one request at a time, a new connection each
    (gunicorn's sync workers close the connection after every response).

    HTTP/1.1 over a plain socket, read to the server's close: the generator's 1,000
    threads share the server's 2 cores, and ``http.client`` (its header parsing goes
    through ``email.parser``) cost it about 0.9 ms of CPU per request, a sixth of the
    server's own — CPU taken from the server under test, alike for the baseline."""

    def __init__(self, port: int, stats: Stats):
        self.port, self.stats, self.cookies = port, stats, {}
        self.host = f"Host: 127.0.0.1:{port}\r\nConnection: close\r\n"

    def request(self, kind, method, path, body=None, headers=None, ok=(200, 302)):
        payload = body.encode() if isinstance(body, str) else (body or b"")
        head = [f"{method} {path} HTTP/1.1\r\n", self.host]
        head += [f"{name}: {value}\r\n" for name, value in (headers or {}).items()]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()) + "\r\n")
        if method == "POST":
            head.append(f"Content-Length: {len(payload)}\r\n")
        head.append("\r\n")
        start = time.perf_counter()
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=120) as sock:
                sock.sendall("".join(head).encode("latin-1") + payload)
                raw, expected = b"", None
                while chunk := sock.recv(65536):
                    raw += chunk
                    if expected is None and b"\r\n\r\n" in raw:
                        top = raw.partition(b"\r\n\r\n")[0].lower()
                        found = re.search(rb"\r\ncontent-length: *(\d+)", top)
                        expected = len(top) + 4 + int(found.group(1)) if found else -1
                    if expected is not None and 0 <= expected <= len(raw):
                        break   # whole: close now, as a browser or a proxy would (the server waits for it)
            top, _, data = raw.partition(b"\r\n\r\n")
            lines = top.split(b"\r\n")
            status = int(lines[0].split(b" ", 2)[1])
            response_headers = Headers(lines[1:])
            if response_headers.get("Transfer-Encoding", "").lower() == "chunked":
                data = _dechunk(data)
            elif (length := response_headers.get("Content-Length")) is not None and len(data) < int(length):
                raise OSError("response cut short")
        except (OSError, ValueError, IndexError):
            self.stats.add(kind, time.perf_counter() - start, False)
            return None, {}, b""
        for value in response_headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        self.stats.add(kind, time.perf_counter() - start, status in ok)
        return status, response_headers, data
