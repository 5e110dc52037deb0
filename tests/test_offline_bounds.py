"""The offline backend's work grows linearly with its input, whatever the input.

Issue 8: repeated ``"x," he said.`` was quadratic (40 KB took 14 s), a 5 MB line ran
over 15 minutes. Timing is no test (the machine is shared; timings belong in
``bench/bench_offline_bounds.py``), so the work is counted instead: the Python lines
the ``annotator`` package executes while extracting claims, a deterministic figure.
Each input is built at ``n`` and ``4n`` repetitions; linear work grows about fourfold,
quadratic work sixteenfold, and the assertion sits between with a generous margin.
"""

from __future__ import annotations

import string
import sys
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from annotator.models import Article
from annotator.offline.backend import OfflineBackend

PACKAGE = str(Path(__file__).resolve().parents[1] / "annotator")
GROWTH_LIMIT = 6.0
"""Allowed growth of the work for four times the input: linear gives at most 4, a
quadratic term worth half the work at ``n`` gives 10."""


@pytest.fixture(scope="module")
def backend() -> OfflineBackend:
    return OfflineBackend()


def _name(k: int) -> str:
    """A distinct capitalised word per ``k`` ("Bab", "Bac", ...), never a common word."""
    letters = string.ascii_lowercase
    return "B" + letters[k // 26 % 26] + letters[k % 26]


def work(backend: OfflineBackend, text: str) -> int:
    """Lines executed inside the annotator package while extracting ``text``'s claims."""
    count = 0

    def local(frame: FrameType, event: str, arg: Any) -> Callable[..., Any]:
        nonlocal count
        if event == "line":
            count += 1
        return local

    def calls(frame: FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        return local if frame.f_code.co_filename.startswith(PACKAGE) else None

    previous = sys.gettrace()
    sys.settrace(calls)
    try:
        backend.extract_claims(Article(id="w", text=text, path="w.txt"))
    finally:
        sys.settrace(previous)
    return count


INPUTS: dict[str, Callable[[int], str]] = {
    # issue 8's case: many short quotations in one paragraph
    "repeated quotes": lambda n: '"x," he said. ' * n,
    "one quote per paragraph": lambda n: "\u201cWe will win,\u201d she said.\n\n" * n,
    # no full stop at all: one endless sentence full of cues
    "no sentence end": lambda n: "the plan will work, he said, " * n,
    # a stray straight mark puts every later quotation out of step: pairs run between
    "quotes out of step": lambda n: '"' + 'He said "yes" and she said "no". ' * n,
    # many distinct names sharing a last word
    "namesakes": lambda n: " ".join(
        f"{_name(k)} Smith said the plan would work." for k in range(n)
    ),
    # pronouns and "the group" resolved among many entities
    "pronouns among many names": lambda n: " ".join(
        f"{_name(k)} {_name(k + 7)} arrived. He said it would rain." for k in range(n)
    ),
    "the group among many people": lambda n: " ".join(
        f"{_name(k)} {_name(k + 3)} spoke. The group said it had won." for k in range(n)
    ),
    # rule relations that override tagged ones
    "quoted as saying": lambda n: " ".join(
        f"Reuters quoted {_name(k)} as saying the talks had failed." for k in range(n)
    ),
    # signed quotations in one paragraph, and acronyms
    "signed quotes": lambda n: "\u201cWe will win.\u201d \u2015 Pat Smith " * n,
    "acronyms": lambda n: " ".join(
        f"The {_name(k)} Party ({_name(k).upper()}) said it would win." for k in range(n)
    ),
    # a quotation nested in reported speech, "I" resolved through it
    "nested speech": lambda n: 'Smith said: "I think Jones said I was right." ' * n,
}


SIZES = {"repeated quotes": 150, "one quote per paragraph": 150, "nested speech": 150}
"""Repetitions at the small size (default 60): where the quadratic term of old code was
small per repetition, more of them, so that it would show."""


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_work_grows_linearly(backend: OfflineBackend, name: str) -> None:
    make, n = INPUTS[name], SIZES.get(name, 60)
    # warm every memo (word records, name keys) first: counted work is then the same
    # whichever tests ran before
    backend.extract_claims(Article(id="warm", text=make(4 * n), path="warm.txt"))
    small, large = work(backend, make(n)), work(backend, make(4 * n))
    assert small > 0
    assert large / small < GROWTH_LIMIT, f"{name}: {small} -> {large} lines for 4x the text"


def test_counting_detects_quadratic_work() -> None:
    """The measure itself: a deliberately quadratic function grows about sixteenfold."""

    class Quadratic:
        def extract_claims(self, article: Article) -> list[object]:
            words = article.text.split()
            return [w for w in words for _ in words if False]

    # the fake runs from this file, so count it as package code for this check
    global PACKAGE
    saved, PACKAGE = PACKAGE, __file__
    try:
        make = INPUTS["repeated quotes"]
        small, large = work(Quadratic(), make(60)), work(Quadratic(), make(240))  # type: ignore[arg-type]
    finally:
        PACKAGE = saved
    assert large / small > GROWTH_LIMIT


def test_text_chunks_cover_the_text_and_cut_at_paragraphs() -> None:
    from annotator.offline.sentences import text_chunks

    text = "".join(f"Paragraph {k} said the plan would work.\n\n" for k in range(200))
    pieces = list(text_chunks(text, 500))
    assert "".join(piece for _, piece in pieces) == text
    assert all(len(piece) <= 500 for _, piece in pieces)
    assert all(text[offset:].startswith(piece) for offset, piece in pieces)
    assert all(piece.endswith("\n\n") for _, piece in pieces[:-1])
    line = "word " * 1000  # no break at all: cut at a space, still covering everything
    assert "".join(p for _, p in text_chunks(line, 333)) == line
    assert list(text_chunks("short", 500)) == [(0, "short")]


def test_a_long_article_is_read_in_chunks_with_offsets_into_the_whole_text(
    backend: OfflineBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    import annotator.offline.backend as module

    text = "".join(
        f"\u201cWe will open bridge {k} soon,\u201d Mayor John Smith said.\n\n" for k in range(30)
    )
    whole = backend.extract_claims(Article(id="c", text=text, path="c.txt"))
    monkeypatch.setattr(module, "CHUNK_CHARS", 300)
    chunked = backend.extract_claims(Article(id="c", text=text, path="c.txt"))
    assert len(chunked) == len(whole) == 30
    for a, b in zip(whole, chunked, strict=True):
        assert a.model_dump() == b.model_dump()
        assert a.spans == b.spans and b.spans is not None
        assert text[b.spans.content[0].start : b.spans.content[0].end] == b.content


def test_overlong_sentences_are_cut(backend: OfflineBackend) -> None:
    from annotator.offline.sentences import MAX_SENTENCE_TOKENS, split_sentences, tokenize

    text = "the plan will work, he said, " * 200
    tokens = tokenize(text)
    sentences = split_sentences(text, tokens)
    assert sentences[0].first == 0 and sentences[-1].last == len(tokens)
    assert all(a.last == b.first for a, b in pairwise(sentences))
    assert max(s.last - s.first for s in sentences) <= MAX_SENTENCE_TOKENS
    assert all(tokens[s.last - 1].text == "," for s in sentences[:-1])  # cut at a comma


def test_a_quotation_never_closed_is_dropped_after_its_limit() -> None:
    from annotator.offline.quotes import MAX_QUOTE_TOKENS, find_quotes
    from annotator.offline.sentences import tokenize

    text = "\u201cOpen " + "word " * (MAX_QUOTE_TOKENS + 10) + "and \u201cshort\u201d."
    tokens = tokenize(text)
    quotes = find_quotes(tokens, [0] * len(tokens)).quotes
    assert [(tokens[q.open + 1].text, q.close - q.open) for q in quotes] == [("short", 2)]


def test_word_records_rebuilt_after_the_memo_is_cleared_give_the_same_claims(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from annotator.offline import features

    text = "Senator Jane Doe said that the bill would pass next week. \u201cIt is ready,\u201d she said."
    expected = [
        c.model_dump()
        for c in OfflineBackend().extract_claims(Article(id="m", text=text, path="m"))
    ]
    monkeypatch.setattr(features, "MAX_FORMS", 5)
    tiny = OfflineBackend()
    got = [c.model_dump() for c in tiny.extract_claims(Article(id="m", text=text, path="m"))]
    assert got == expected and len(tiny._words._words) <= 5


def test_speakers_resolved_out_of_text_order_agree_with_text_order() -> None:
    from annotator.offline.document import analyse
    from annotator.offline.features import WordTable
    from annotator.offline.lexicon import load_lexicon
    from annotator.offline.speakers import SpeakerResolver

    text = (
        "Jane Doe arrived. She said it would rain. The Acme Corp said it agreed. "
        "Later she said the group was right. The company said it would stay."
    )
    doc = analyse(text, WordTable({}))
    sources = [i for i, t in enumerate(doc.tokens) if t.text in {"She", "she", "company"}]
    spans = [(i - 1, i + 1) if doc.tokens[i].text == "company" else (i, i + 1) for i in sources]
    lex = load_lexicon()
    forward = SpeakerResolver(doc, lex)
    in_order = [forward.resolve(a, b, None) for a, b in spans]
    backward = SpeakerResolver(doc, lex)
    reverse = [backward.resolve(a, b, None) for a, b in reversed(spans)][::-1]
    assert in_order == reverse
    assert [s.name for s in in_order] == ["Jane Doe", "Jane Doe", "Acme Corp"]
