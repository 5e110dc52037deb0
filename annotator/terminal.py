"""Untrusted text on its way to a terminal.

Ids, paths, server messages and model names come from input files and endpoints. Printed
through rich they are markup (``[/INST]`` crashes a run with a MarkupError, ``[b]``
restyles the rest of the line) and printed anywhere their control characters act on the
terminal (an id with ``\\x1b]0;...`` retitles the window, ``\\x1b[2J`` clears it). Every
such value passes through :func:`plain` first: it prints literally, escapes visible.
"""

from __future__ import annotations

import re

from rich.markup import escape

from annotator.secrets import redact

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 controls (tab and newline aside), DEL, and the bidirectional overrides."""


def visible(value: object) -> str:
    """``value`` as text whose control characters are shown as escapes (``\\x1b``), the
    key redacted: safe for any terminal, with or without rich."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), redact(str(value)))


def plain(value: object) -> str:
    """:func:`visible`, with rich markup escaped: it prints literally through rich."""
    return escape(visible(value))
