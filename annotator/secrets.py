"""The API key: where it is read, and how it is kept out of everything the tool writes.

One small module so that no other module reads the environment for the key or writes
its own redaction: the LLM client takes the key from :func:`api_key`, and every message
bound for the terminal or an output file passes through :func:`redact`.
"""

from __future__ import annotations

import os
import re

API_KEY_VARIABLE = "OPENAI_API_KEY"
REDACTED = "[redacted]"
KEY_LIKE = re.compile(r"\b(?:sk|rk|pk)-[A-Za-z0-9_\-*]{6,}|\bBearer\s+[A-Za-z0-9._\-~+/]{6,}=*")
"""Shapes of provider keys and bearer tokens, redacted even when they are not our key."""

def api_key() -> str | None:
    """The configured key, from ``OPENAI_API_KEY`` only (never a file or an option)."""
    return os.environ.get(API_KEY_VARIABLE) or None


def redact(text: str, secret: str | None = None) -> str:
    """Remove ``secret`` (default: the configured key) and anything key-shaped from text."""
    secret = secret if secret is not None else api_key()
    if secret:
        text = text.replace(secret, REDACTED)
    return KEY_LIKE.sub(REDACTED, text)
