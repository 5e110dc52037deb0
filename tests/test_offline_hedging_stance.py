"""Hedging and stance rules of the scheme, on constructed contents and cues."""

from __future__ import annotations

import pytest

from annotator.models import Hedging, Stance
from annotator.offline.hedging_stance import cue_lemma, has_scare_quotes, hedging, stance
from annotator.offline.lexicon import load_lexicon

LEX = load_lexicon()


@pytest.mark.parametrize(
    ("content", "level", "markers"),
    [
        ("the groups' access would significantly boost their capacity", Hedging.low, ["would"]),
        ("it could enhance their capacity", Hedging.high, ["could"]),
        ("the attack was probably coordinated", Hedging.low, ["probably"]),
        ("talks may resume next week", Hedging.high, ["may"]),
        ("it is unclear whether the barracks fell", Hedging.high, ["unclear whether"]),
        ("more than 80 militants were killed", Hedging.none, []),
        ("at least 30 soldiers died", Hedging.none, []),
        ("the army could not confirm the toll", Hedging.none, []),
        ("prices are expected to rise but might fall", Hedging.high, ["expected to", "might"]),
    ],
)
def test_hedging_levels_and_markers(content: str, level: Hedging, markers: list[str]) -> None:
    assert hedging(content, LEX) == (level, markers)


def test_hedge_markers_are_verbatim_from_the_content() -> None:
    assert hedging("It Could happen", LEX) == (Hedging.high, ["Could"])


@pytest.mark.parametrize(
    ("cue", "content", "before", "after", "expected"),
    [
        ("claimed responsibility", "the attacks", "", "", Stance.neutral),
        ("claimed", "it had seized three barracks", "", "", Stance.distance),
        ("said", '"neutralising" more than 80 militants', "allegedly ", "", Stance.distance),
        ("said", "it repelled the attacks", "", "", Stance.neutral),
        ("said", "the vote was rigged", "", "without providing evidence", Stance.distance),
        ("confirmed", "the minister resigned", "", "", Stance.endorse),
        ("pointed out", "turnout fell", "", "", Stance.endorse),
        ("said", "the vote was rigged", "falsely ", "", Stance.dispute),
        ("insisted", "he did nothing wrong", "", "", Stance.distance),
        ("warned", "the coast is at risk", "", "", Stance.neutral),
        ("according to", "the army lost 12 men", "", "", Stance.neutral),
    ],
)
def test_stance_from_cue_and_framing(
    cue: str, content: str, before: str, after: str, expected: Stance
) -> None:
    assert stance(cue, content, before, after, LEX) is expected


def test_scare_quotes_are_short_terms_inside_paraphrase() -> None:
    assert has_scare_quotes('allegedly "neutralising" more than 80 militants')
    assert not has_scare_quotes("a fully paraphrased content")


def test_naming_verb_makes_a_quoted_phrase_a_partial_quote_not_distance() -> None:
    content = "its attack 'co-ordinated and high quality'"
    assert stance("called", content, "", "", LEX) is Stance.neutral


def test_cue_lemma_skips_auxiliaries() -> None:
    assert cue_lemma("has repeatedly claimed") == "claim"
    assert cue_lemma("said") == "say"
