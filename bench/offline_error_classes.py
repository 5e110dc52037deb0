"""Count the offline backend's errors on PolNeAR by the classes of issue 13.

    annotator annotate ../shared/polnear/dev/text --backend offline --out OUT
    annotator gold import-brat ../shared/polnear/dev/attributions --text ../shared/polnear/dev/text --out GOLD
    python bench/offline_error_classes.py OUT --gold GOLD --texts ../shared/polnear/dev/text \\
        --train-ann ../shared/polnear/train/attributions

Matches predictions to gold with the eval harness (its default view), then counts, per
class, the gold claims of that class left unmatched ("missed") or the predictions of
that class that match nothing ("spurious"). The classes are defined by surface tests,
written out in :data:`CLASSES` so that a count can be checked by hand:

- ``np-content``: gold content after a reporting cue that is a noun phrase, not a
  clause: at most eight words, no verb marker (auxiliary, modal, ``that``, a subject
  pronoun), not quoted ("warned about growing efforts", "remarked on the panic");
- ``unseen-cue``: gold cue whose head lemma is never a cue head in PolNeAR train, or
  a multi-word cue of several content words, or a nominal/adjectival cue (a noun or
  adjective of the reporting lexicon: "warnings", "optimistic");
- ``content-first``: gold content that ends before its cue ("..., he stressed"); and
  ``beside-quote``: gold content that is a quotation next to its cue;
- ``title-case``: gold or predicted claims whose cue stands in a Title Case or headline
  line (:mod:`annotator.furniture` headline regions), missed and spurious;
- ``non-speech-cue``: spurious predictions whose cue head is no reporting word;
- ``merged-quote``: predictions whose indirect content runs past its sentence into the
  next sentence's quotation (counted on predictions, with or without a gold match).
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

from annotator.brat import pair_files, parse_ann
from annotator.evaluation.harness import evaluate
from annotator.evaluation.report import detail_records
from annotator.furniture import RegionKind, page_furniture
from annotator.offline.hedging_stance import AUXILIARIES, cue_lemma
from annotator.offline.lexicon import load_lexicon

CLASSES = ("np-content", "unseen-cue", "content-first", "beside-quote", "title-case", "non-speech-cue", "merged-quote")
_WORD = re.compile(r"[\w'\u2019-]+")
_VERB_MARKERS = frozenset(AUXILIARIES) | {"that", "he", "she", "it", "they", "we", "i", "you", "there"}
_QUOTES = "\"'\u201c\u201d\u2018\u2019`"
_NOMINAL_OR_ADJECTIVAL = re.compile(r"(?:ment|ion|ions|ism|ance|ence|ing|ings|ic|ous|ful|ive|ent|ant|ed)$")


def spans(claim: dict, field: str) -> list[tuple[int, int]]:
    return [(s["start"], s["end"]) for s in (claim.get("spans") or {}).get(field, [])]


def train_cue_heads(ann_dir: Path, text_dir: Path) -> set[str]:
    """Head lemmas of every cue in PolNeAR train (what the cue model has seen)."""
    heads: set[str] = set()
    for pair in pair_files(ann_dir, text_dir):
        text = pair.text_path.read_text(encoding="utf-8")
        for relation in parse_ann(pair.ann_path).relations:
            if relation.cue is not None:
                heads.add(cue_lemma(" ".join(text[a:b] for a, b in relation.cue.ranges)))
    return heads


def np_content(content: str) -> bool:
    words = [w.lower() for w in _WORD.findall(content)]
    return 0 < len(words) <= 8 and not (set(words) & _VERB_MARKERS) and content.strip()[:1] not in _QUOTES


def unseen_cue(cue: str, seen: set[str], reporting: frozenset[str]) -> bool:
    head = cue_lemma(cue)
    content_words = [w for w in _WORD.findall(cue.lower()) if w not in AUXILIARIES]
    nominal = head in reporting and bool(_NOMINAL_OR_ADJECTIVAL.search(content_words[0] if content_words else ""))
    return head not in seen or len(content_words) >= 2 or nominal


def classify_gold(claim: dict, text: str, headlines: list[tuple[int, int]], seen: set[str], lex) -> set[str]:
    content, cue = spans(claim, "content"), spans(claim, "cue")
    out: set[str] = set()
    if not content or not cue:
        return out
    if cue_lemma(claim["cue"] or "") in lex.reporting_cues and np_content(claim["content"]):
        out.add("np-content")
    if unseen_cue(claim["cue"] or "", seen, lex.reporting_cues):
        out.add("unseen-cue")
    if content[-1][1] <= cue[0][0]:
        out.add("content-first")
    first = text[content[0][0] : content[0][0] + 1]
    if first in _QUOTES or text[max(content[0][0] - 1, 0)] in _QUOTES:
        near = min(abs(cue[0][0] - content[-1][1]), abs(content[0][0] - cue[0][1]))
        if near <= 4:
            out.add("beside-quote")
    if any(a <= cue[0][0] < b for a, b in headlines):
        out.add("title-case")
    return out


def merged_quote(claim: dict, text: str) -> bool:
    """Indirect content that runs over a sentence end into a quotation."""
    content = spans(claim, "content")
    if not content or text[content[0][0]] in _QUOTES:
        return False
    body = text[content[0][0] : content[-1][1]]
    return bool(re.search(r"[.!?][\"'\u201d\u2019]?\s+[\"\u201c\u2018]", body))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pred", type=Path, help="an annotate --out folder")
    parser.add_argument("--gold", type=Path, required=True)
    parser.add_argument("--texts", type=Path, required=True)
    parser.add_argument("--train-ann", type=Path, required=True, help="PolNeAR train attributions")
    parser.add_argument("--json", type=Path, help="write the counts here")
    args = parser.parse_args()
    lex = load_lexicon()
    seen = train_cue_heads(args.train_ann, args.train_ann.parent / "text")
    evaluation = evaluate(args.pred, args.gold, articles_dir=args.texts, resamples=0)
    gold_files = {p.stem: json.loads(p.read_text()) for p in args.gold.glob("*.json") if not p.name.startswith("_")}
    counts: Counter[tuple[str, str]] = Counter()
    for record in detail_records(evaluation):
        text = (args.texts / f"{record.article}.txt").read_text(encoding="utf-8")
        headlines = [(r.start, r.end) for r in page_furniture(text) if r.kind is RegionKind.headline]
        if record.kind == "missed" and record.gold_index is not None:
            claim = gold_files[record.article]["claims"][record.gold_index]
            for name in classify_gold(claim, text, headlines, seen, lex):
                counts[name, "missed"] += 1
        if record.kind == "spurious" and record.pred is not None:
            start = record.pred["start"]
            cue = record.pred["cue"] or ""
            if cue_lemma(cue) not in lex.reporting_cues and not any(
                cue_lemma(w) in lex.reporting_cues for w in cue.split()
            ):
                counts["non-speech-cue", "spurious"] += 1
            if any(a <= start < b for a, b in headlines):
                counts["title-case", "spurious"] += 1
    for path in sorted(args.pred.glob("articles/*.json")):
        data = json.loads(path.read_text())
        text = (args.texts / f"{data['article']}.txt").read_text(encoding="utf-8")
        counts["merged-quote", "predicted"] += sum(merged_quote(c, text) for c in data.get("claims", []))
    rows = {f"{name}:{kind}": counts[name, kind] for name, kind in sorted(counts)}
    for key, value in rows.items():
        print(f"{key:28} {value}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
