"""A local stand-in for OpenAI's files and batches endpoints (hand-written, not recorded).

``BatchStub`` serves ``POST /v1/files`` (multipart upload), ``GET /v1/files/{id}/content``,
``POST /v1/batches``, ``GET /v1/batches/{id}`` (and ``POST /v1/chat/completions``, for
re-asks sent online) on 127.0.0.1 in a thread, in the wire
format of OpenAI's API reference (the objects the openai SDK parses). A test moves a job
along by hand: :meth:`BatchStub.complete` answers every request of a job through a
scripted answerer, :meth:`BatchStub.expire` ends it with only some answered, the rest
in the error file as ``batch_expired``, as OpenAI does when the 24 h window closes.

:func:`said_answerer` answers a chat request the way a careful model would for simple
news sentences: one claim per "X said Y." sentence of the article, verbatim. An article
whose text contains ``INVENT`` gets an invented claim on its first answer, so the online
path re-asks it (a follow-up batch); the re-ask is answered without it.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from stub_server import article_text, empty_answer, said_claims

Answerer = Callable[[dict[str, Any]], tuple[int, dict[str, Any]]]
CREATED = 1795000000
EXPIRED = "This request could not be executed before the completion window expired."


def said_answerer(request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    text = article_text(request)
    claims = said_claims(text)
    reask = any(m.get("role") in ("assistant", "tool") for m in request.get("messages", []))
    if "INVENT" in text and not reask:
        claims.append({**claims[0], "content": "the moon is made of green cheese"})
    return 200, empty_answer(request, claims)


class BatchStub:
    """The files and batches endpoints, on 127.0.0.1 (see the module docstring)."""

    def __init__(self, answerer: Answerer = said_answerer) -> None:
        self.answerer = answerer
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.log: list[tuple[str, str]] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> BatchStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # ------------------------------------------------------------------ moving jobs on

    def requests(self, batch_id: str) -> list[dict[str, Any]]:
        raw = self.files[self.batches[batch_id]["input_file_id"]].decode()
        return [json.loads(line) for line in raw.splitlines() if line.strip()]

    def complete(self, batch_id: str) -> None:
        self._finish(batch_id, "completed", answered=None)

    def expire(self, batch_id: str, answered: int) -> None:
        self._finish(batch_id, "expired", answered=answered)

    def _finish(self, batch_id: str, status: str, answered: int | None) -> None:
        lines = self.requests(batch_id)
        outputs, errors = [], []
        for number, line in enumerate(lines):
            if answered is not None and number >= answered:
                errors.append({"id": f"batch_req_{next(self._ids)}", "custom_id": line["custom_id"], "response": None,
                               "error": {"code": "batch_expired", "message": EXPIRED}})
                continue
            code, body = self.answerer(line["body"])
            entry = {"id": f"batch_req_{next(self._ids)}", "custom_id": line["custom_id"],
                     "response": {"status_code": code, "request_id": f"req_{next(self._ids)}", "body": body},
                     "error": None}
            (outputs if code == 200 else errors).append(entry)
        batch = self.batches[batch_id]
        batch["status"] = status
        batch["request_counts"] = {"total": len(lines), "completed": len(outputs), "failed": len(errors)}
        batch[f"{status}_at" if status != "completed" else "completed_at"] = CREATED + 3600
        if outputs:
            batch["output_file_id"] = self._store("\n".join(json.dumps(o) for o in outputs).encode() + b"\n")
        if errors:
            batch["error_file_id"] = self._store("\n".join(json.dumps(e) for e in errors).encode() + b"\n")

    def _store(self, data: bytes) -> str:
        file_id = f"file-{next(self._ids):06d}"
        self.files[file_id] = data
        return file_id

    # ------------------------------------------------------------------ the endpoints

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, value: Any) -> None:
                self._send(status, json.dumps(value).encode())

            def do_GET(self) -> None:
                stub.log.append(("GET", self.path))
                if (m := re.fullmatch(r"/v1/files/([\w-]+)/content", self.path)) and m.group(1) in stub.files:
                    return self._send(200, stub.files[m.group(1)], "application/octet-stream")
                if (m := re.fullmatch(r"/v1/batches/([\w-]+)", self.path)) and m.group(1) in stub.batches:
                    return self._json(200, stub.batches[m.group(1)])
                missing = {"message": f"No such object: {self.path}", "type": "invalid_request_error",
                           "param": None, "code": None}
                return self._json(404, {"error": missing})

            def do_POST(self) -> None:
                stub.log.append(("POST", self.path))
                data = self.rfile.read(int(self.headers.get("content-length", 0)))
                with stub._lock:
                    if self.path == "/v1/chat/completions":  # the online endpoint, for online re-asks
                        code, body = stub.answerer(json.loads(data))
                        return self._json(code, body)
                    if self.path == "/v1/files":
                        return self._json(200, stub._upload(self.headers.get("content-type", ""), data))
                    if self.path == "/v1/batches":
                        return self._json(200, stub._create(json.loads(data)))
                return self._json(404, {"error": {"message": "unknown endpoint", "type": "invalid_request_error",
                                                  "param": None, "code": None}})

        return Handler

    def _upload(self, content_type: str, data: bytes) -> dict[str, Any]:
        message = BytesParser(policy=HTTP).parsebytes(f"content-type: {content_type}\r\n\r\n".encode() + data)
        fields = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}
        upload = fields["file"]
        content = upload.get_payload(decode=True)
        file_id = self._store(content)
        return {"id": file_id, "object": "file", "bytes": len(content), "created_at": CREATED,
                "filename": upload.get_filename(), "purpose": fields["purpose"].get_content().strip(),
                "status": "processed"}

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        batch_id = f"batch_{next(self._ids):06d}"
        lines = [line for line in self.files[body["input_file_id"]].decode().splitlines() if line.strip()]
        self.batches[batch_id] = {
            "id": batch_id, "object": "batch", "endpoint": body["endpoint"], "errors": None,
            "input_file_id": body["input_file_id"], "completion_window": body["completion_window"],
            "status": "validating", "output_file_id": None, "error_file_id": None, "created_at": CREATED,
            "in_progress_at": None, "expires_at": CREATED + 86400, "completed_at": None, "failed_at": None,
            "expired_at": None, "cancelled_at": None,
            "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
            "metadata": body.get("metadata"),
        }
        return self.batches[batch_id]
