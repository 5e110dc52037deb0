"""The API key: where it is read, and how it is kept out of everything the tool writes.

One small module so that no other module reads the environment for the key or writes
its own redaction: the LLM client takes the key from :func:`api_key`, every message
bound for the terminal passes through :func:`redact`, and every file an output folder
receives passes through :func:`mask` (``annotator.store`` does it once for all of them).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

API_KEY_VARIABLE = "OPENAI_API_KEY"
REDACTED = "[redacted]"
KEY_LIKE = re.compile(
    r"\b(?:sk|rk|pk)-[A-Za-z0-9_\-*]{6,}|\bBearer\s+(?=[A-Za-z._\-~+/]*\d)[A-Za-z0-9._\-~+/]{6,}=*"
)
"""Shapes of provider keys and bearer tokens, redacted even when they are not our key."""
_PREFIX = re.compile(r"^(?:sk|rk|pk)-(?:proj-|svcacct-|admin-)?")
MIN_VARIANT = 8
"""A key echoed without its prefix is still redacted while this many characters remain."""


def api_key() -> str | None:
    """The configured key, from ``OPENAI_API_KEY`` only (never a file or an option)."""
    return os.environ.get(API_KEY_VARIABLE) or None


def variants(secret: str) -> list[str]:
    """The key as a server may echo it: whole, or without its provider prefix ("sk-",
    "sk-proj-"), longest first."""
    found = {secret}
    stripped = _PREFIX.sub("", secret)
    if len(stripped) >= MIN_VARIANT:
        found.add(stripped)
    if secret.startswith(("sk-", "rk-", "pk-")) and len(secret) - 3 >= MIN_VARIANT:
        found.add(secret[3:])
    return sorted(found, key=len, reverse=True)


def redact(text: str, secret: str | None = None) -> str:
    """Remove ``secret`` (default: the configured key) and anything key-shaped from text."""
    return _scrub(text, secret, lambda _: REDACTED)


def mask(text: str, secret: str | None = None) -> str:
    """:func:`redact`, but each removed key becomes a mask of its own length, so offsets
    into the text (an article that contains the key) still point where they did."""
    return _scrub(text, secret, _same_length)


def _same_length(found: str) -> str:
    return (REDACTED + "*" * len(found))[: len(found)] if len(found) >= len(REDACTED) else "*" * len(found)


def _scrub(text: str, secret: str | None, replacement: Callable[[str], str]) -> str:
    secret = secret if secret is not None else api_key()
    if secret:
        for variant in variants(secret):
            text = text.replace(variant, replacement(variant))
    return KEY_LIKE.sub(lambda match: replacement(match.group()), text)
