"""Other tools' formats, both ways: Label Studio tasks and exports, brat standoff, claim tables.

Every writer reads a run or gold folder through :mod:`annotator.documents` (texts and
located claims) and writes nothing it could not read back: :mod:`brat` out is read by
``gold import-brat`` (:mod:`annotator.brat`), :mod:`labelstudio` maps both ways in one
module so the two directions cannot drift, and :mod:`tables` writes CSV (standard
library) and Parquet (pyarrow, the ``tables`` extra, imported only when asked for).
"""

from __future__ import annotations

from dataclasses import dataclass

from annotator.documents import Document
from annotator.models import Claim, Speaker, SpeakerType


@dataclass(frozen=True)
class Attributed:
    """A claim a gold-bound format carries: attributed (not the author's) and placed in the text."""

    index: int
    claim: Claim
    speaker: Speaker


def attributed(doc: Document) -> tuple[list[Attributed], int]:
    """The document's attributed, placed claims, and how many others were left out.

    Gold has no author claims (the scheme), and a claim with no offsets cannot be a span.
    """
    speakers = {s.id: s for s in doc.annotation.speakers}
    kept: list[Attributed] = []
    for index, claim in enumerate(doc.claims):
        speaker = speakers.get(claim.speaker)
        if speaker is None or speaker.type is SpeakerType.author or not (claim.spans and claim.spans.content):
            continue
        kept.append(Attributed(index, claim, speaker))
    return kept, len(doc.claims) - len(kept)
