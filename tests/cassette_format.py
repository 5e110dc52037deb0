"""How cassettes are stored, matched and scrubbed: a VCR serializer, a matcher, two hooks.

* **Storage** (:func:`serialize` / :func:`deserialize`, registered in place of VCR's
  ``yaml`` serializer, so files keep their ``.yaml`` names): JSON bodies are stored as
  YAML structures under ``parsed_body``, and multi-line strings (prompts, articles) as
  literal blocks, so a prompt edit shows in a diff as the lines it changed instead of
  one re-escaped string. Bodies that are not
  JSON (an HTML error page) stay as they are.
* **Matching** (:func:`json_body`): requests match on their parsed JSON body, key order
  ignored, with the few library-version details normalised that are not ours.
* **Scrubbing** (:func:`scrub_request`, :func:`scrub_response`): credentials, cookies and
  machine fingerprints are dropped, and anything key-shaped is redacted, before a
  cassette is written.

Tested in ``tests/test_cassette_format.py``.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

import yaml

from annotator.secrets import KEY_LIKE, REDACTED

SENSITIVE_HEADERS = (
    "authorization",
    "api-key",
    "x-api-key",
    "openai-organization",
    "openai-project",
    "cookie",
    "set-cookie",
)
FINGERPRINT_HEADER_PREFIX = "x-stainless-"
"""SDK headers describing the recording machine (OS, arch, Python build): noise, dropped."""
DERIVED_HEADERS = ("content-length",)
"""Recomputed from the body on replay; a stored value would disagree once re-serialised."""

# Parts of a request body that are not ours and change with library versions. They only
# occur inside the error text instructor feeds back on a re-ask.
_VOLATILE = (
    # pydantic links its error docs by minor version (2.14 today).
    (re.compile(r"https://errors\.pydantic\.dev/[^/\s]+/"), "https://errors.pydantic.dev/<v>/"),
    # pydantic-core's repr of the rejected input, truncated by rules that vary by release.
    (re.compile(r"input_value=.*?, input_type=", re.S), "input_value=<input>, input_type="),
    # instructor embeds the openai SDK's Python repr of the failed completion.
    (re.compile(r"<completion>.*?</completion>", re.S), "<completion><repr></completion>"),
)


# ------------------------------------------------------------------------ storage


class _LiteralDumper(yaml.SafeDumper):
    """Multi-line strings as ``|`` blocks; everything else as PyYAML would write it."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if "\n" in data and not _unsafe_for_block(data):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


def _unsafe_for_block(data: str) -> bool:
    """Literal blocks cannot hold trailing spaces on a line or most control characters."""
    return any(line != line.rstrip(" \t") for line in data.split("\n")) or any(
        ord(ch) < 32 and ch not in "\n\t" for ch in data
    )


_LiteralDumper.add_representer(str, _represent_str)


def _as_text(body: Any) -> str | None:
    if body is None:
        return None
    if isinstance(body, (bytes, bytearray)):
        return body.decode("utf-8", errors="surrogateescape")
    return str(body)


def _parse_json(text: str | None) -> Any:
    """The body as a JSON value, or ``None`` when it is empty or not JSON."""
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def serialize(cassette: dict[str, Any]) -> str:
    """VCR serializer: JSON bodies become structured YAML under ``parsed_body``."""
    for interaction in cassette.get("interactions", []):
        request, response = interaction["request"], interaction["response"]
        parsed = _parse_json(_as_text(request.get("body")))
        if parsed is not None:
            request.pop("body")
            request["parsed_body"] = parsed
        body = response.get("body", {})
        parsed = _parse_json(_as_text(body.get("string")))
        if parsed is not None:
            response.pop("body")
            response["parsed_body"] = parsed
        for headers in (request.get("headers", {}), response.get("headers", {})):
            for name in [n for n in headers if n.lower() in DERIVED_HEADERS]:
                del headers[name]
    return yaml.dump(cassette, Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False, width=100)


def deserialize(text: str) -> dict[str, Any]:
    """VCR deserializer: the inverse of :func:`serialize` (bodies back to JSON text)."""
    cassette: dict[str, Any] = yaml.safe_load(text) or {}
    for interaction in cassette.get("interactions", []):
        request, response = interaction["request"], interaction["response"]
        if "parsed_body" in request:
            request["body"] = json.dumps(request.pop("parsed_body"), ensure_ascii=False)
        if "parsed_body" in response:
            dumped = json.dumps(response.pop("parsed_body"), ensure_ascii=False)
            response["body"] = {"string": dumped.encode("utf-8")}
    return cassette


# ----------------------------------------------------------------------- matching


def recorded_target(text: str) -> tuple[str, str]:
    """Model and base URL of the first chat request in a cassette's ``text``: what a replay
    must ask for to match the recording."""
    interactions = deserialize(text)["interactions"]
    first = next(i["request"] for i in interactions if i["request"]["uri"].endswith("/chat/completions"))
    return json.loads(first["body"])["model"], first["uri"].rsplit("/chat/completions", 1)[0]


def _normalise_volatile(value: Any) -> Any:
    if isinstance(value, str):
        for pattern, replacement in _VOLATILE:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, list):
        return [_normalise_volatile(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalise_volatile(v) for k, v in value.items()}
    return value


def parsed_body(request: Any) -> Any:
    """A VCR request's body as JSON (volatile parts normalised), or its text."""
    text = _as_text(request.body)
    if not text:
        return None
    parsed = _parse_json(text)
    return _normalise_volatile(parsed) if parsed is not None else text


def first_difference(a: Any, b: Any, path: str = "$") -> str | None:
    """Where two JSON values first differ, as ``$.messages[1].content from char 40: ...``."""
    if type(a) is not type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        return f"{path}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}: present on one side only"
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)} items"
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{path}[{index}]")
            if found:
                return found
        return None
    if a != b:
        if isinstance(a, str) and isinstance(b, str):
            at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
            start = max(0, at - 40)
            return f"{path} from char {at}: {a[start:at + 80]!r} != {b[start:at + 80]!r}"
        return f"{path}: {str(a)[:120]!r} != {str(b)[:120]!r}"
    return None


def json_body(r1: Any, r2: Any) -> None:
    """VCR matcher: equal JSON bodies, key order ignored, library-volatile text normalised."""
    difference = first_difference(parsed_body(r1), parsed_body(r2))
    if difference:
        raise AssertionError(f"JSON bodies differ at {difference}")


# ---------------------------------------------------------------------- scrubbing


def redact(text: str) -> str:
    """The shell's key (when set) and anything key-shaped, replaced."""
    key = os.environ.get("OPENAI_API_KEY")
    if key and len(key) >= 8:
        text = text.replace(key, REDACTED)
    return KEY_LIKE.sub(REDACTED, text)


def _scrub_body(body: Any) -> Any:
    if isinstance(body, (bytes, bytearray)):
        text = body.decode("utf-8", errors="surrogateescape")
        cleaned = redact(text)
        return cleaned.encode("utf-8", errors="surrogateescape") if cleaned != text else body
    if isinstance(body, str):
        return redact(body)
    return body


def scrub_request(request: Any) -> Any:
    """Second line of defence after ``filter_headers``: keys in bodies, machine fingerprints."""
    for name in list(request.headers):
        if name.lower().startswith(FINGERPRINT_HEADER_PREFIX):
            del request.headers[name]
    request.body = _scrub_body(request.body)
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Drop credential and cookie headers from responses; redact key-like text in bodies."""
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in SENSITIVE_HEADERS:
            del headers[name]
    body = response.get("body", {})
    if "string" in body:
        body["string"] = _scrub_body(body["string"])
    return response
