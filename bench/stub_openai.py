"""A local OpenAI-compatible chat endpoint for the scale benchmarks (127.0.0.1 only).

    python bench/stub_openai.py --port 0 [--rpm 600] [--latency 1.5]

Answers every ``POST /v1/chat/completions`` with a valid answer holding one claim per
"X said Y." sentence of the article (``tests/stub_server``), after a latency drawn from a log-normal with the
given median (a real endpoint's answer time varies). With ``--rpm`` it enforces the
limit as OpenAI describes it (a bucket of one second's worth of requests, refilled
continuously) and says so in ``x-ratelimit-*`` headers; beyond it, 429 with
``retry-after-ms``. Prints ``port N`` once listening; on SIGTERM prints its counts as one
JSON line (answered, rejected, peak concurrency). A minimal HTTP/1.1 server on asyncio
streams with keep-alive: thousands of waiting requests cost it nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from stub_server import article_text, empty_answer, said_claims


class Limits:
    """Requests per minute as a continuously refilled bucket of one second's worth."""

    def __init__(self, rpm: float | None) -> None:
        self.rpm = rpm
        self.capacity = max(1.0, (rpm or 0) / 60.0)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def take(self) -> tuple[bool, dict[str, str]]:
        if not self.rpm:
            return True, {}
        now = time.monotonic()
        rate = self.rpm / 60.0
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * rate)
        self.stamp = now
        allowed = self.tokens >= 1.0
        if allowed:
            self.tokens -= 1.0
        refill = (self.capacity - self.tokens) / rate
        headers = {
            "x-ratelimit-limit-requests": str(int(self.rpm)),
            "x-ratelimit-remaining-requests": str(int(self.tokens)),
            "x-ratelimit-reset-requests": f"{int(refill * 1000)}ms",
        }
        if not allowed:
            headers["retry-after-ms"] = str(int((1.0 - self.tokens) / rate * 1000) + 1)
        return allowed, headers


class Stub:
    def __init__(self, rpm: float | None, latency: float, seed: int) -> None:
        self.limits = Limits(rpm)
        self.latency = latency
        self.rng = random.Random(seed)
        self.answered = 0
        self.rejected = 0
        self.active = 0
        self.peak = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                fields = (line.partition(":") for line in lines[1:] if line)
                headers = {k.strip().lower(): v.strip() for k, _, v in fields}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status, payload, extra = await self.answer(lines[0], body)
                data = json.dumps(payload).encode()
                head_lines = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Too Many Requests'}",
                              "content-type: application/json", f"content-length: {len(data)}",
                              *(f"{k}: {v}" for k, v in extra.items())]
                writer.write(("\r\n".join(head_lines) + "\r\n\r\n").encode() + data)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def answer(self, request_line: str, body: bytes) -> tuple[int, dict, dict[str, str]]:
        if not request_line.startswith("POST") or "/chat/completions" not in request_line:
            return 404, {"error": {"message": "not found", "type": "invalid_request_error"}}, {}
        allowed, headers = self.limits.take()
        if not allowed:
            self.rejected += 1
            error = {"message": "Rate limit reached for requests", "type": "requests", "param": None,
                     "code": "rate_limit_exceeded"}
            return 429, {"error": error}, headers
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            if self.latency > 0:
                await asyncio.sleep(self.rng.lognormvariate(0, 0.4) * self.latency)
        finally:
            self.active -= 1
        self.answered += 1
        request = json.loads(body)
        return 200, empty_answer(request, said_claims(article_text(request))), headers


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rpm", type=float, default=None)
    parser.add_argument("--latency", type=float, default=1.5, help="median answer time, seconds")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    stub = Stub(args.rpm, args.latency, args.seed)
    server = await asyncio.start_server(stub.serve, "127.0.0.1", args.port, backlog=1024)
    print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with server:
        await stop.wait()
    print(json.dumps({"answered": stub.answered, "rejected": stub.rejected, "peak": stub.peak}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
