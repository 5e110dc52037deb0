"""Word tokens, trimmed spans and the cue lemmatiser."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from annotator.evaluation.cues import IRREGULAR, KNOWN, SKIP, cue_lemma, head_word, lemma
from annotator.evaluation.tokens import TokenIndex, token_set, trim
from annotator.models import CharSpan


def test_tokens_are_words_with_internal_apostrophes() -> None:
    text = 'Mali\'s army said: "we didn\'t stop."'
    tokens = TokenIndex.of(text)
    words = [text[s:e] for s, e in zip(tokens.starts, tokens.ends, strict=True)]
    assert words == ["Mali's", "army", "said", "we", "didn't", "stop"]


def test_span_covers_every_token_it_touches() -> None:
    text = "the quick brown fox"
    tokens = TokenIndex.of(text)
    # "uick bro" cuts two words: both count (a fuzzy alignment may cut words).
    assert tokens.ranges([CharSpan(start=5, end=13)]) == ((1, 3),)
    # whitespace only touches no token
    assert tokens.ranges([CharSpan(start=3, end=4)]) == ()


def test_discontinuous_span_gives_one_range_per_piece() -> None:
    text = '"We will win," the senator said, "and we will win big."'
    tokens = TokenIndex.of(text)
    ranges = tokens.ranges([CharSpan(start=0, end=14), CharSpan(start=33, end=55)])
    assert token_set(ranges) == {0, 1, 2, 6, 7, 8, 9, 10}


def test_trim_removes_quotes_and_punctuation_only_at_the_ends() -> None:
    text = '"Subpoenas are not optional," he said'
    start, end = trim(text, CharSpan(start=0, end=29))
    assert text[start:end] == "Subpoenas are not optional"


@pytest.mark.parametrize(
    ("cue", "expected"),
    [
        ("said", "say"), ("says", "say"), ("told", "tell"), ("warned", "warn"),
        ("according to", "accord"), ("claimed", "claim"), ("added", "add"),
        ("described", "describe"), ("as saying", "say"), ("has learned", "learn"),
        ("claimed responsibility", "claim"), ("warning", "warn"), ("voiced concerns", "voice"),
        ("stated", "state"), ("noted", "note"), ("admitted", "admit"), ("denied", "deny"),
        ("tweeted", "tweet"), ("announcing", "announce"), ("Reportedly Said", "say"),
        ("would later say", "say"), ("wrote", "write"), ("thought", "think"),
        ("confirms", "confirm"), ("pushes", "push"), ("pushed", "push"),
        ("brought", "bring"), ("brings", "bring"), ("bring", "bring"),
    ],
)
def test_cue_lemmas(cue: str, expected: str) -> None:
    assert cue_lemma(cue) == expected


def test_empty_cue_has_no_lemma() -> None:
    assert cue_lemma(None) is None
    assert cue_lemma("  ") is None


def test_head_word_skips_auxiliaries() -> None:
    assert head_word("has been quoted as saying") == "quoted"
    assert head_word("had") == "had"  # only skipped words: keep the last


@pytest.mark.parametrize("cue", ["\u2019s predicting", "'s predicting", "\u2019re predicting", "\u2019ve predicted"])
def test_a_contracted_auxiliary_is_no_head(cue: str) -> None:
    # PolNeAR writes the cue of "he’s predicting" as "’s predicting"; the offline
    # backend writes "predicting": one cue, as "is predicting" and "predicting" are
    assert cue_lemma(cue) == cue_lemma("predicting") == "predict"


def test_irregular_forms_map_into_known_or_stable_lemmas() -> None:
    # every irregular maps to a lemma that lemmatises to itself (idempotent)
    assert all(lemma(target) == target for target in IRREGULAR.values())


@given(st.sampled_from(sorted(KNOWN)), st.sampled_from(sorted(SKIP - {"n't"})))
def test_known_lemmas_are_fixed_points_behind_any_auxiliary(verb: str, auxiliary: str) -> None:
    assert lemma(verb) == verb
    assert cue_lemma(f"{auxiliary} {verb}") == verb
    assert cue_lemma(f"{auxiliary.upper()} {verb.title()}") == verb


@given(st.from_regex(r"[a-z]{3,12}", fullmatch=True))
def test_lemma_is_deterministic_and_lowercase(word: str) -> None:
    assert lemma(word) == lemma(word) == lemma(word.upper())
    assert lemma(word) == lemma(word).lower()
