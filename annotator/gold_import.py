"""Turn a brat standoff attribution corpus (PolNeAR, PARC style) into a gold folder.

Each article becomes ``<id>.json`` (claims with character spans, hedging, stance, quote
type and intermediaries left ``null``: unlabelled, hence unscored) and the folder gets
an :class:`~annotator.gold.ImportManifest` recording the text folder, which annotator's
file was taken for each article and how many relations were dropped for lacking a
source. Articles that fail do not stop the others; each failure names its file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from annotator.brat import BratError, BratPair, BratSpan, pair_files, parse_ann, to_annotated
from annotator.gold import MANIFEST_NAME, ImportedFile, ImportManifest, relative_to


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote and what it could not convert."""

    manifest: ImportManifest
    errors: list[str]
    skipped: int
    warnings: list[str] = field(default_factory=list)
    """Files with ``Content`` spans that no ``E`` or ``R`` line attributes: imported without them."""

    @property
    def claims(self) -> int:
        return sum(a.claims for a in self.manifest.articles)


def import_brat(ann_dir: Path, text_dir: Path, out_dir: Path, rank: int = 1) -> ImportResult:
    """Convert every article of ``ann_dir`` with an annotation of the given rank.

    ``rank`` 1 takes the alphabetically first annotator of each article (every article
    has one); ``rank`` 2 takes the second and skips articles that have only one, which
    together with a rank-1 import of the same articles gives inter-annotator agreement.
    """
    if not ann_dir.is_dir():
        raise FileNotFoundError(f"{ann_dir}: not a folder")
    if not text_dir.is_dir():
        raise FileNotFoundError(f"{text_dir}: not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = ImportManifest(
        ann_dir=relative_to(out_dir, ann_dir), text_dir=relative_to(out_dir, text_dir), rank=rank
    )
    errors: list[str] = []
    warnings: list[str] = []
    skipped = 0
    for pair in pair_files(ann_dir, text_dir):
        chosen = _ranked(pair, rank)
        if chosen is None:
            skipped += 1
            continue
        try:
            imported, unlinked = _convert(chosen, out_dir)
        except (BratError, OSError, UnicodeDecodeError, ValueError) as error:
            errors.append(f"{chosen.ann_path}: {error}")
            continue
        manifest.articles.append(imported)
        if unlinked:
            warnings.append(
                f"{chosen.ann_path}: {unlinked} Content span(s) that no E or R line ties to a source or cue"
            )
    (out_dir / MANIFEST_NAME).write_text(manifest.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return ImportResult(manifest=manifest, errors=errors, skipped=skipped, warnings=warnings)


def _ranked(pair: BratPair, rank: int) -> BratPair | None:
    """The pair re-pointed at its rank-th annotator's file, if it has one."""
    codes = [pair.annotator, *pair.others]
    if rank > len(codes):
        return None
    if rank == 1:
        return pair
    code = codes[rank - 1]
    others = tuple(c for c in codes if c != code)
    ann_path = pair.ann_path.with_name(f"{pair.article_id}_{code}.ann")
    return BratPair(pair.article_id, pair.text_path, ann_path, code, others)


def _convert(pair: BratPair, out_dir: Path) -> tuple[ImportedFile, int]:
    if not pair.text_path.exists():
        raise OSError(f"no text file {pair.text_path}")
    text = pair.text_path.read_text(encoding="utf-8")
    doc = parse_ann(pair.ann_path)
    _check_offsets(doc.spans.values(), len(text), pair.ann_path)
    gold = to_annotated(doc, text, pair.article_id)
    payload = gold.model_dump_json(indent=2, by_alias=True)  # the scheme's field names
    (out_dir / f"{pair.article_id}.json").write_text(payload + "\n", encoding="utf-8")
    imported = ImportedFile(
        article=pair.article_id,
        annotator=pair.annotator,
        others=list(pair.others),
        claims=len(gold.claims),
        dropped=len(doc.relations) - len(gold.claims),
    )
    return imported, doc.unlinked_contents


def _check_offsets(spans: Iterable[BratSpan], length: int, path: Path) -> None:
    """An annotation made against another version of the text must not import silently."""
    for span in spans:
        for start, end in span.ranges:
            if not 0 <= start <= end <= length:
                raise BratError(f"{path}: {span.id} offsets {start}-{end} outside the text ({length} chars)")
