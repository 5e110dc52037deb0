"""Claim tables: one row per claim with its article's metadata and every offset.

The columns are declared once (:class:`TableRow`); CSV joins list fields with ``"; "``,
Parquet keeps them as lists of strings with a fixed schema, so an empty run still
writes a file with typed columns. Every claim of the folder is a row, author claims
included (``speaker_type`` tells them apart): a table is the whole output, not gold.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from annotator.documents import Document
from annotator.models import CharSpan, Claim
from annotator.store import atomic_write

LIST_SEPARATOR = "; "


@dataclass(frozen=True)
class TableRow:
    """One claim as a table row; offsets are characters into the article text, half-open."""

    article: str
    title: str | None
    url: str | None
    date: str | None
    outlet: str | None
    source: str | None
    backend: str | None
    model: str | None
    prompt_version: str | None
    claim_index: int
    speaker_id: str
    speaker: str
    speaker_type: str | None
    speaker_role: str | None
    mention: str | None
    mention_start: int | None
    mention_end: int | None
    cue: str | None
    cue_start: int | None
    cue_end: int | None
    content: str
    content_start: int | None
    content_end: int | None
    content_spans: str | None
    """Every piece of a discontinuous content, ``start-end`` joined by ``;``."""
    quote_type: str | None
    via: list[str] | None
    hedging: str | None
    hedge_cues: list[str]
    stance: str | None
    restatement: str | None
    restatement_by: str | None
    """Who wrote the restatement (``llm``, ``offline``): never the article's words."""
    unverified: str | None
    """What the backend said that the article does not contain, ``field=value`` joined by ``; ``."""
    content_alignment: str | None
    mention_alignment: str | None
    cue_alignment: str | None


LIST_COLUMNS = frozenset({"via", "hedge_cues"})
INT_COLUMNS = frozenset(
    {"claim_index", "mention_start", "mention_end", "cue_start", "cue_end", "content_start", "content_end"}
)
COLUMNS = tuple(f.name for f in fields(TableRow))


def table_rows(documents: Iterable[Document]) -> Iterator[TableRow]:
    for doc in documents:
        result = doc.result
        speakers = {s.id: s for s in doc.annotation.speakers}
        for index, claim in enumerate(doc.claims):
            speaker = speakers.get(claim.speaker)
            spans = claim.spans
            content, mention, cue = (spans.content, spans.mention, spans.cue) if spans else ([], [], [])
            yield TableRow(
                article=doc.annotation.article,
                title=result.title if result else None,
                url=result.url if result else None,
                date=result.date if result else None,
                outlet=result.outlet if result else None,
                source=result.source if result else str(doc.path),
                backend=result.backend if result else None,
                model=result.model if result else None,
                prompt_version=result.prompt_version if result else None,
                claim_index=index,
                speaker_id=claim.speaker,
                speaker=speaker.name if speaker else claim.speaker,
                speaker_type=speaker.type.value if speaker else None,
                speaker_role=speaker.role if speaker else None,
                mention=claim.mention,
                mention_start=_start(mention),
                mention_end=_end(mention),
                cue=claim.cue,
                cue_start=_start(cue),
                cue_end=_end(cue),
                content=claim.content,
                content_start=_start(content),
                content_end=_end(content),
                content_spans=";".join(f"{s.start}-{s.end}" for s in content) or None,
                quote_type=_value(claim, "quote_type"),
                via=claim.via,
                hedging=_value(claim, "hedging"),
                hedge_cues=claim.hedge_cues,
                stance=_value(claim, "stance"),
                restatement=claim.restatement,
                restatement_by=claim.restatement_by,
                unverified=_unverified(claim),
                content_alignment=_tier(content),
                mention_alignment=_tier(mention),
                cue_alignment=_tier(cue),
            )


def _unverified(claim: Claim) -> str | None:
    found = claim.unverified
    if not found:
        return None
    pairs = [("speaker", found.speaker), ("speaker_role", found.speaker_role)]
    pairs += [("via", item) for item in found.via] + [("hedge_cue", item) for item in found.hedge_cues]
    return LIST_SEPARATOR.join(f"{name}={value}" for name, value in pairs if value)


def _start(spans: list[CharSpan]) -> int | None:
    return spans[0].start if spans else None


def _end(spans: list[CharSpan]) -> int | None:
    return spans[-1].end if spans else None


def _tier(spans: list[CharSpan]) -> str | None:
    return spans[0].alignment.value if spans else None


def _value(claim: Claim, name: str) -> str | None:
    label = getattr(claim, name)
    return label.value if label is not None else None


def write_csv(rows: Iterable[TableRow], path: Path) -> int:
    """Write the rows as UTF-8 CSV with a header; returns the number of rows."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        record = asdict(row)
        for name in LIST_COLUMNS:
            record[name] = LIST_SEPARATOR.join(record[name]) if record[name] is not None else None
        writer.writerow(record)
        count += 1
    atomic_write(path, buffer.getvalue())
    return count


def write_parquet(rows: Iterable[TableRow], path: Path) -> int:
    """Write the rows as Parquet with a fixed schema; needs pyarrow (``pip install 'annotator[tables]'``)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as error:
        raise RuntimeError("Parquet needs pyarrow: pip install 'annotator[tables]'") from error
    def column(name: str) -> Any:
        if name in LIST_COLUMNS:
            return pa.list_(pa.string())
        return pa.int64() if name in INT_COLUMNS else pa.string()

    schema = pa.schema([(name, column(name)) for name in COLUMNS])
    table = pa.Table.from_pylist([asdict(row) for row in rows], schema=schema)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, temporary)
    temporary.replace(path)
    return table.num_rows
