"""Label Studio, both ways: tasks with predictions out, an annotated export in as gold.

The mapping, declared once for both directions (the labeling config is
``labeling_config.xml`` beside this module, written next to the tasks):

* a claim is a ``Content`` region (``Labels`` ``span`` on ``Text`` ``text``); further
  pieces of a discontinuous content are ``Content`` regions linked by a ``continues``
  relation;
* its mention is a ``Source`` region, its cue a ``Cue`` region, its hedge cues ``Hedge``
  regions, each linked to the content by a relation (``source``, ``cue``, ``hedge``);
  regions shared by claims (one cue for two split contents) are one region;
* quote type, hedging and stance are per-region ``Choices`` on the content; ``via`` (one
  intermediary per entry) and ``restatement`` per-region ``TextArea`` s;
* the speaker's entity name is a per-region ``TextArea`` ``speaker`` on the source, its
  type per-region ``Choices`` ``speaker_type``.

On the way in, relations are read as undirected and by the labels of the regions they
join, so an annotator may draw them either way. A region's offsets are checked against
its text: Label Studio versions differ in counting characters outside the Basic
Multilingual Plane (UTF-16 units or code points), so a mismatch is realigned (UTF-16,
then the nearest occurrence of the region's text) and counted, and one that cannot be
realigned is an error naming the task and region.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from annotator.brat import guess_speaker_type
from annotator.documents import Document, hedge_spans
from annotator.formats import attributed
from annotator.gold import ImportedFile, ImportManifest, relative_to
from annotator.grounding import FRAGMENT_SEPARATOR, locate
from annotator.models import (
    AnnotatedArticle,
    CharSpan,
    Claim,
    ClaimSpans,
    Hedging,
    QuoteType,
    Speaker,
    SpeakerType,
    Stance,
)
from annotator.speakers import is_pronoun, slug
from annotator.store import atomic_write, file_stem

CONFIG_FILE = "labeling_config.xml"
TASKS_FILE = "tasks.json"
TEXTS_DIR = "_texts"
LABELS_NAME, TEXT_NAME = "span", "text"
CONTENT, CUE, SOURCE, HEDGE = "Content", "Cue", "Source", "Hedge"


def labeling_config() -> str:
    """The labeling config the tasks are written for (paste it into the project's settings)."""
    return (Path(__file__).parent / CONFIG_FILE).read_text(encoding="utf-8")


# ---------------------------------------------------------------------------- out


@dataclass(frozen=True)
class LabelStudioExport:
    tasks: int
    claims: int
    left_out: int
    without_text: list[str]


def write_tasks(documents: Iterable[Document], out: Path, *, as_annotations: bool) -> LabelStudioExport:
    """``tasks.json`` (one task per article with a text) and the labeling config, in ``out``.

    A run's claims go in as ``predictions`` (to correct); a gold folder's as
    ``annotations`` (to revise).
    """
    tasks, claims, left_out, without_text = [], 0, 0, []
    for doc in documents:
        if doc.text is None:
            without_text.append(doc.annotation.article)
            continue
        result, count, dropped = task_results(doc)
        claims, left_out = claims + count, left_out + dropped
        tasks.append(_task(doc, result, as_annotations))
    atomic_write(out / TASKS_FILE, json.dumps(tasks, ensure_ascii=False, indent=1) + "\n")
    atomic_write(out / CONFIG_FILE, labeling_config())
    return LabelStudioExport(len(tasks), claims, left_out, without_text)


def _task(doc: Document, result: list[dict[str, Any]], as_annotations: bool) -> dict[str, Any]:
    record = doc.result
    data: dict[str, Any] = {"text": doc.text, "article": doc.annotation.article}
    if record is not None:
        data.update(
            {k: v for k, v in (("title", record.title), ("url", record.url), ("date", record.date),
                               ("outlet", record.outlet)) if v is not None}
        )
    if as_annotations:
        return {"data": data, "annotations": [{"result": result, "ground_truth": False}]}
    version = f"{record.backend} {record.model} prompt {record.prompt_version}" if record else "gold"
    return {"data": data, "predictions": [{"model_version": version, "result": result}]}


class _Regions:
    """Result items of one task: one region per distinct (label, span)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.items: list[dict[str, Any]] = []
        self.ids: dict[tuple[str, int, int], str] = {}

    def region(self, label: str, span: CharSpan, prefix: str) -> tuple[str, bool]:
        """The region's id, and whether it is new."""
        key = (label, span.start, span.end)
        if key in self.ids:
            return self.ids[key], False
        region_id = f"{prefix}{len(self.ids)}"
        self.ids[key] = region_id
        self.items.append(self._item(region_id, LABELS_NAME, "labels", span, labels=[label]))
        return region_id, True

    def per_region(self, region_id: str, span: CharSpan, name: str, kind: str, **value: Any) -> None:
        self.items.append(self._item(region_id, name, kind, span, **value))

    def relation(self, source: str, target: str, label: str) -> None:
        self.items.append(
            {"type": "relation", "from_id": source, "to_id": target, "direction": "right", "labels": [label]}
        )

    def _item(self, region_id: str, name: str, kind: str, span: CharSpan, **value: Any) -> dict[str, Any]:
        base: dict[str, Any] = {"start": span.start, "end": span.end}
        if kind != "textarea":
            base["text"] = self.text[span.start : span.end]
        return {"id": region_id, "from_name": name, "to_name": TEXT_NAME, "type": kind, "value": {**base, **value}}


def task_results(doc: Document) -> tuple[list[dict[str, Any]], int, int]:
    """The result items of one article, the claims they carry and the claims left out."""
    assert doc.text is not None
    kept, left_out = attributed(doc)
    regions = _Regions(doc.text)
    for item in kept:
        claim, spans = item.claim, item.claim.spans
        assert spans is not None
        root, _ = regions.region(CONTENT, spans.content[0], "c")
        for piece in spans.content[1:]:
            regions.relation(root, regions.region(CONTENT, piece, "c")[0], "continues")
        _choices(regions, root, spans.content[0], claim)
        for label, found, relation in ((SOURCE, spans.mention, "source"), (CUE, spans.cue, "cue")):
            for span in found:
                region_id, new = regions.region(label, span, label[0].lower())
                regions.relation(root, region_id, relation)
                if new and label == SOURCE:
                    regions.per_region(region_id, span, "speaker", "textarea", text=[item.speaker.name])
                    regions.per_region(region_id, span, "speaker_type", "choices", choices=[item.speaker.type.value])
        for start, end in hedge_spans(doc.text, spans.content, claim.hedge_cues):
            regions.relation(root, regions.region(HEDGE, CharSpan(start=start, end=end), "h")[0], "hedge")
    return regions.items, len(kept), left_out


def _choices(regions: _Regions, root: str, span: CharSpan, claim: Claim) -> None:
    for name, label in (("quote_type", claim.quote_type), ("hedging", claim.hedging), ("stance", claim.stance)):
        if label is not None:
            regions.per_region(root, span, name, "choices", choices=[label.value])
    if claim.via:
        regions.per_region(root, span, "via", "textarea", text=list(claim.via))
    if claim.restatement:
        regions.per_region(root, span, "restatement", "textarea", text=[claim.restatement])


# ---------------------------------------------------------------------------- in


class LabelStudioError(ValueError):
    """An export that cannot be read at all; the message names the file."""


@dataclass
class Region:
    """A labelled span of one annotation, with its per-region values."""

    id: str
    label: str
    start: int
    end: int
    choices: dict[str, str] = field(default_factory=dict)
    texts: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class LabelStudioImport:
    manifest: ImportManifest
    errors: list[str]
    skipped: list[str]
    """Tasks without a usable (not cancelled) annotation."""
    realigned: int
    """Regions whose offsets did not match their text and were realigned."""

    @property
    def claims(self) -> int:
        return sum(a.claims for a in self.manifest.articles)


def import_export(path: Path, out: Path) -> LabelStudioImport:
    """Convert a Label Studio JSON export (a list of tasks) into a gold folder.

    The texts are written to ``out/_texts`` and recorded in the manifest, so ``gold check``
    and ``eval`` find them. One bad task is an error naming it; the others import.
    """
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise LabelStudioError(f"{path}: cannot read a Label Studio export: {error}") from error
    if isinstance(tasks, dict):
        tasks = [tasks]
    if not isinstance(tasks, list):
        raise LabelStudioError(f"{path}: expected a JSON list of tasks (Label Studio's JSON export)")
    out.mkdir(parents=True, exist_ok=True)
    manifest = ImportManifest(
        importer="labelstudio", ann_dir=relative_to(out, path), text_dir=TEXTS_DIR, speaker_entities=True
    )
    errors: list[str] = []
    skipped: list[str] = []
    realigned = 0
    seen: dict[str, int] = {}
    for number, task in enumerate(tasks):
        where = f"{path}: task {task.get('id', number) if isinstance(task, dict) else number}"
        try:
            converted = _convert(task, where)
        except LabelStudioError as error:
            errors.append(str(error))
            continue
        if converted is None:
            skipped.append(where)
            continue
        gold, text, annotator, dropped, fixed = converted
        if gold.article in seen:
            errors.append(f"{where}: article {gold.article!r} is also task {seen[gold.article]}")
            continue
        seen[gold.article] = number
        realigned += fixed
        atomic_write(out / TEXTS_DIR / f"{gold.article}.txt", text)
        atomic_write(out / f"{gold.article}.json", gold.model_dump_json(indent=2, by_alias=True) + "\n")
        manifest.articles.append(
            ImportedFile(article=gold.article, annotator=annotator, claims=len(gold.claims), dropped=dropped)
        )
    atomic_write(out / "_import.json", manifest.model_dump_json(indent=2) + "\n")
    return LabelStudioImport(manifest, errors, skipped, realigned)


def _convert(task: Any, where: str) -> tuple[AnnotatedArticle, str, str, int, int] | None:
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        raise LabelStudioError(f"{where}: not a task (no 'data' object)")
    text = task["data"].get(TEXT_NAME)
    if not isinstance(text, str):
        raise LabelStudioError(f"{where}: no text in data.{TEXT_NAME}")
    annotation = _chosen_annotation(task.get("annotations") or [])
    if annotation is None:
        return None
    article = file_stem(str(task["data"].get("article") or f"task-{task.get('id', 'unknown')}"))
    regions, links, fixed = _regions(annotation.get("result") or [], text, where)
    try:
        claims, speakers, dropped = _claims(regions, links, text)
    except LabelStudioError as error:
        raise LabelStudioError(f"{where}, {error}") from error
    gold = AnnotatedArticle(article=article, speakers=speakers, claims=claims)
    return gold, text, str(annotation.get("completed_by", "")), dropped, fixed


def _chosen_annotation(annotations: list[Any]) -> dict[str, Any] | None:
    """The ground-truth annotation if one is marked, else the latest one not cancelled."""
    usable = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
    if not usable:
        return None
    marked = [a for a in usable if a.get("ground_truth")]
    def recency(annotation: dict[str, Any]) -> tuple[str, str]:
        return str(annotation.get("updated_at") or annotation.get("created_at") or ""), str(annotation.get("id"))

    return max(marked or usable, key=recency)


def _regions(result: list[Any], text: str, where: str) -> tuple[dict[str, Region], list[tuple[str, str]], int]:
    regions: dict[str, Region] = {}
    links: list[tuple[str, str]] = []
    per_region: list[dict[str, Any]] = []
    fixed = 0
    for item in result:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "relation":
            links.append((str(item.get("from_id")), str(item.get("to_id"))))
        elif item.get("type") == "labels":
            value = item.get("value") or {}
            labels = value.get("labels") or []
            if not labels or labels[0] not in (CONTENT, CUE, SOURCE, HEDGE):
                continue
            start, end, moved = _offsets(value, text, f"{where}, region {item.get('id')}")
            fixed += moved
            regions[str(item.get("id"))] = Region(str(item.get("id")), labels[0], start, end)
        elif item.get("type") in ("choices", "textarea"):
            per_region.append(item)
    for item in per_region:
        region = regions.get(str(item.get("id")))
        value = item.get("value") or {}
        if region is None:
            continue
        if item["type"] == "choices" and value.get("choices"):
            region.choices[str(item.get("from_name"))] = str(value["choices"][0])
        elif item["type"] == "textarea":
            entries = [line.strip() for entry in value.get("text") or [] for line in str(entry).splitlines()]
            region.texts[str(item.get("from_name"))] = [e for e in entries if e]
    return regions, links, fixed


def _offsets(value: dict[str, Any], text: str, where: str) -> tuple[int, int, int]:
    """Code-point offsets of a region, checked against its text; the last item says whether they moved."""
    try:
        start, end = int(value["start"]), int(value["end"])
    except (KeyError, TypeError, ValueError) as error:
        raise LabelStudioError(f"{where}: no start/end offsets") from error
    expected = value.get("text")
    if not isinstance(expected, str) or text[start:end] == expected:
        if not 0 <= start < end <= len(text):
            raise LabelStudioError(f"{where}: offsets {start}-{end} outside the text ({len(text)} characters)")
        return start, end, 0
    units = _utf16_offsets(text)
    a, b = bisect_left(units, start), bisect_left(units, end)
    if text[a:b] == expected:
        return a, b, 1
    found = locate(text, expected, near=start, allow_fuzzy=False)
    if found is not None:
        return found.start, found.end, 1
    raise LabelStudioError(f"{where}: {expected!r} is not at {start}-{end} nor anywhere in the text")


def _utf16_offsets(text: str) -> list[int]:
    """For each code point (and the end), its offset in UTF-16 units, as JavaScript counts."""
    offsets, position = [], 0
    for char in text:
        offsets.append(position)
        position += 2 if ord(char) > 0xFFFF else 1
    offsets.append(position)
    return offsets


def _claims(
    regions: dict[str, Region], links: list[tuple[str, str]], text: str
) -> tuple[list[Claim], list[Speaker], int]:
    """Claims around each root content region; contents without a source are dropped and counted."""
    neighbours: dict[str, set[str]] = {}
    for a, b in links:
        if a in regions and b in regions:
            neighbours.setdefault(a, set()).add(b)
            neighbours.setdefault(b, set()).add(a)
    pieces_of = _content_groups(regions, neighbours)
    speakers: dict[str, Speaker] = {}
    claims: list[Claim] = []
    dropped = 0
    for pieces in pieces_of:
        linked = {n for p in pieces for n in neighbours.get(p.id, set())}

        def labelled(label: str, linked: set[str] = linked) -> list[Region]:
            return sorted((regions[n] for n in linked if regions[n].label == label), key=lambda r: r.start)

        sources, cues, hedges = labelled(SOURCE), labelled(CUE), labelled(HEDGE)
        if not sources:
            dropped += 1
            continue
        root = pieces[0]
        speaker = _speaker(sources, text, speakers)
        via = root.texts.get("via", [])
        claims.append(
            Claim(
                speaker=speaker.id,
                mention=_joined(sources, text),
                cue=_joined(cues, text) if cues else None,
                content=_joined(pieces, text),
                quote_type=_enum(QuoteType, root.choices.get("quote_type"), root),
                via=via,
                hedging=_enum(Hedging, root.choices.get("hedging"), root),
                hedge_cues=[text[h.start : h.end] for h in hedges],
                stance=_enum(Stance, root.choices.get("stance"), root),
                restatement=next(iter(root.texts.get("restatement", [])), None),
                spans=ClaimSpans(
                    content=[CharSpan(start=p.start, end=p.end) for p in pieces],
                    mention=[CharSpan(start=s.start, end=s.end) for s in sources],
                    cue=[CharSpan(start=c.start, end=c.end) for c in cues],
                ),
            )
        )
    claims.sort(key=lambda c: c.spans.content[0].start if c.spans else 0)
    return claims, list(speakers.values()), dropped


def _content_groups(regions: dict[str, Region], neighbours: dict[str, set[str]]) -> list[list[Region]]:
    """Content regions joined by content-to-content links are the pieces of one claim."""
    groups: list[list[Region]] = []
    seen: set[str] = set()
    for region in sorted(regions.values(), key=lambda r: r.start):
        if region.label != CONTENT or region.id in seen:
            continue
        group, stack = [], [region.id]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            group.append(regions[current])
            stack += [n for n in neighbours.get(current, set()) if regions[n].label == CONTENT]
        groups.append(sorted(group, key=lambda r: r.start))
    return groups


def _speaker(sources: list[Region], text: str, speakers: dict[str, Speaker]) -> Speaker:
    """One entity per speaker name (the ``speaker`` field, else the mention), every mention an alias."""
    mention = _joined(sources, text)
    named = next((r.texts["speaker"][0] for r in sources if r.texts.get("speaker")), None)
    name = named or mention
    key = slug(name) or slug(mention) or "speaker"
    typed = next((r for r in sources if r.choices.get("speaker_type")), None)
    if key not in speakers:
        given = _enum(SpeakerType, typed.choices["speaker_type"], typed) if typed else None
        kind = given or guess_speaker_type(mention)
        speakers[key] = Speaker(id=key, name=name, type=kind)
    speaker = speakers[key]
    if mention != speaker.name and mention not in speaker.aliases and not is_pronoun(mention):
        speaker.aliases.append(mention)
    return speaker


def _joined(regions: list[Region], text: str) -> str:
    return FRAGMENT_SEPARATOR.join(text[r.start : r.end].strip() for r in regions)


Label = TypeVar("Label", QuoteType, Hedging, Stance, SpeakerType)


def _enum(kind: type[Label], value: str | None, region: Region) -> Label | None:
    """The label, ``None`` when unset; a value the scheme does not have is an error (another config)."""
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError as error:
        allowed = "/".join(member.value for member in kind)
        raise LabelStudioError(f"region {region.id}: {value!r} is not one of {allowed}") from error
