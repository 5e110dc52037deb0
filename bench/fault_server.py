"""A local OpenAI-compatible chat server that misbehaves on purpose.

Used by ``bench/fault_injection.py`` and ``tests/test_fault_injection.py``. Standard
library only (``http.server`` in a thread), bound to 127.0.0.1 on a free port. One
server plays many faults at once: the first path segment names the fault, so a run
pointed at ``http://127.0.0.1:PORT/<fault>/v1`` gets that fault's answers. Every request
is logged per fault (arrival time, body, headers) and the server tracks how many requests
of a fault are in flight, so a driver can see what a run really sent and how hard it
pushed.

A fault is a :class:`Script`: given the request and the number of earlier requests for
that fault, it returns a :class:`Reply` (status, headers, body), optionally delayed or
trickled one byte at a time.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MARKERS = re.compile(r"<<<ARTICLE (\w+)>>>\n(.*)\n<<<END ARTICLE \1>>>", re.S)


@dataclass
class Reply:
    """What the server sends back for one request."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "application/json"})
    delay: float = 0.0
    """Seconds to wait before answering."""
    trickle: float | None = None
    """Send the body one byte every this many seconds (after the headers)."""


@dataclass
class Received:
    """One request as the server saw it."""

    at: float
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def prompt(self) -> str:
        """The user message: where the article is rendered."""
        messages = self.body.get("messages", [])
        users = [m.get("content") or "" for m in messages if m.get("role") == "user"]
        return users[0] if users else ""

    @property
    def article(self) -> str:
        """The data block between the markers (title and text), or ``""``."""
        found = MARKERS.search(self.prompt)
        return found.group(2) if found else ""


Script = Callable[[Received, int], Reply]
"""A fault: the request and how many came before it for this fault -> the reply."""


@dataclass
class Fault:
    script: Script
    admit: int | None = None
    """Requests served at once; any more get ``reject`` (a 429) at once."""
    reject: Reply | None = None
    received: list[Received] = field(default_factory=list)
    in_flight: int = 0
    peak: int = 0
    rejected: int = 0


class FaultServer:
    """The server; ``with FaultServer() as server:`` starts and stops it."""

    def __init__(self) -> None:
        self.faults: dict[str, Fault] = {}
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._http.daemon_threads = True
        self._http.faults = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._http.server_address[1])

    def url(self, fault: str) -> str:
        """The base URL a run uses to get ``fault``."""
        return f"http://127.0.0.1:{self.port}/{fault}/v1"

    def add(self, name: str, script: Script, *, admit: int | None = None, reject: Reply | None = None) -> str:
        """Register a fault; returns its base URL."""
        self.faults[name] = Fault(script, admit, reject)
        return self.url(name)

    def received(self, name: str) -> list[Received]:
        return list(self.faults[name].received)

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()

    def _serve(self, handler: _Handler) -> None:
        name = handler.path.strip("/").split("/")[0]
        fault = self.faults.get(name)
        length = int(handler.headers.get("content-length") or 0)
        raw = handler.rfile.read(length) if length else b""
        if fault is None or not handler.path.endswith("/chat/completions"):
            _send(handler, error(404, f"no such fault: {name}"))
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        request = Received(time.monotonic(), body, {k.lower(): v for k, v in handler.headers.items()})
        with self._lock:
            count = len(fault.received)
            fault.received.append(request)
            full = fault.admit is not None and fault.in_flight >= fault.admit
            if full:
                fault.rejected += 1
            else:
                fault.in_flight += 1
                fault.peak = max(fault.peak, fault.in_flight)
        if full:
            _send(handler, fault.reject or error(429, "too many requests", {"retry-after": "1"}))
            return
        try:
            _send(handler, fault.script(request, count))
        finally:
            with self._lock:
                fault.in_flight -= 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.server.faults._serve(self)  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        return None


def _send(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
    if reply.delay:
        time.sleep(reply.delay)
    try:
        handler.send_response(reply.status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.send_header("content-length", str(len(reply.body)))
        handler.end_headers()
        if reply.trickle is None:
            handler.wfile.write(reply.body)
            return
        for byte in reply.body:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(reply.trickle)
    except (BrokenPipeError, ConnectionResetError):
        handler.close_connection = True  # the client gave up: what a deadline does


# ----------------------------------------------------------------------- the wire format


def completion(message: dict[str, Any], model: str = "fault-model") -> dict[str, Any]:
    return {
        "id": "chatcmpl-fault", "object": "chat.completion", "created": 1795000000, "model": model,
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", **message}}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    }


def tool_call(arguments: Any) -> Reply:
    """A tools-mode answer; ``arguments`` is JSON-encoded unless it is already a string."""
    encoded = arguments if isinstance(arguments, str) else json.dumps(arguments)
    call = {"id": "call_fault", "type": "function", "function": {"name": "ClaimExtraction", "arguments": encoded}}
    return ok(completion({"content": None, "tool_calls": [call]}))


def content(text: str) -> Reply:
    """A json_schema / json mode answer: the JSON in the message content."""
    return ok(completion({"content": text}))


def answer(body: dict[str, Any], claims: Any) -> Reply:
    """``{"claims": claims}`` in whichever mode the request asked for."""
    if "tools" in body:
        return tool_call({"claims": claims})
    return content(json.dumps({"claims": claims}))


def ok(payload: dict[str, Any]) -> Reply:
    return Reply(200, json.dumps(payload).encode())


def error(status: int, message: str, headers: dict[str, str] | None = None, code: str | None = None) -> Reply:
    body = {"error": {"message": message, "type": "fault", "param": None, "code": code}}
    return Reply(status, json.dumps(body).encode(), {"content-type": "application/json", **(headers or {})})


def claim(mention: str, cue: str, text: str, **fields: Any) -> dict[str, Any]:
    """One claim as a model writes it."""
    return {
        "speaker": fields.pop("speaker", mention), "speaker_type": fields.pop("speaker_type", "person"),
        "speaker_role": fields.pop("speaker_role", None), "mention": mention, "cue": cue, "content": text,
        "quote_type": "indirect", "via": [], "hedging": "none", "hedge_cues": [], "stance": "neutral",
        "restatement": f"{mention}: {text}.", **fields,
    }


SAID = re.compile(r"^(?:Title: .*\n\n)?(?P<mention>[^.\n]+?) said (?P<content>[^.\n]+)\.", re.M)


def grounded(request: Received) -> list[dict[str, Any]]:
    """The claim of an article written as "<mention> said <content>." (first sentence)."""
    found = SAID.search(request.article)
    return [claim(found["mention"], "said", found["content"])] if found else []


def well_behaved(request: Received, count: int) -> Reply:
    """Answer every article with its "X said Y." claim."""
    return answer(request.body, grounded(request))
