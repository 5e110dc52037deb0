"""Grounding: every verbatim field must be found, and found where it really is."""

import re

from hypothesis import given
from hypothesis import strategies as st

from annotator.claims import ExtractedClaim, ground_all
from annotator.grounding import (
    FRAGMENT_SEPARATOR,
    Alignment,
    clean_fragment,
    locate,
    locate_fragments,
    normalise,
)

TEXT = (
    "Mali's army said it repelled Tuesday morning's attacks, allegedly \u201cneutralising\u201d "
    "more than 80 militants.\n\nHe warned that the groups\u2019 access to the coast would "
    "significantly boost their capacity for smuggling."
)


def test_exact_match_gives_offsets_of_the_string():
    span = locate(TEXT, "it repelled Tuesday morning's attacks")
    assert span is not None and span.alignment is Alignment.exact
    assert TEXT[span.start : span.end] == "it repelled Tuesday morning's attacks"


def test_straight_quotes_and_whitespace_match_curly_text_as_normalised():
    span = locate(TEXT, 'allegedly "neutralising"   more than 80 militants')
    assert span is not None and span.alignment is Alignment.normalised
    assert TEXT[span.start : span.end] == "allegedly \u201cneutralising\u201d more than 80 militants"


def test_small_slip_is_fuzzy_but_paraphrase_is_rejected():
    slip = locate(TEXT, "the groups' access to the coast would significantly boost their capacity for smugling")
    assert slip is not None and slip.alignment is Alignment.fuzzy
    assert TEXT[slip.start : slip.end].startswith("the groups")
    assert locate(TEXT, "the president resigned and fled the country on Monday") is None


def test_short_fragments_are_never_fuzzy_matched():
    assert locate(TEXT, "He warmed") is None


def test_occurrence_picks_the_nth_instance_and_near_picks_the_closest():
    text = "A said x. B said y. C said z."
    assert locate(text, "said", occurrence=3).start == text.rindex("said")
    assert locate(text, "said", occurrence=4) is None
    assert locate(text, "said", near=text.index("B")).start == text.index("said", text.index("B"))


def test_discontinuous_fields_locate_each_piece_in_order():
    text = "The economy, he said, is doing well."
    spans = locate_fragments(text, f"The economy{FRAGMENT_SEPARATOR}is doing well")
    assert [text[s.start : s.end] for s in spans] == ["The economy", "is doing well"]


def test_clean_fragment_strips_enclosing_quotes_and_trailing_punctuation():
    assert clean_fragment("\u201cWe woke up in shock this morning.\u201d") == "We woke up in shock this morning"
    assert clean_fragment('"neutralising" more than 80 militants,') == '"neutralising" more than 80 militants'


WORD_EDGES = sorted({0, len(TEXT)} | {m.start() for m in re.finditer(r"\b", TEXT)})


@given(st.data())
def test_any_whole_word_substring_is_found_exactly_where_it_occurs(data):
    start = data.draw(st.sampled_from(WORD_EDGES[:-1]))
    end = data.draw(st.sampled_from([e for e in WORD_EDGES if e > start]))
    fragment = TEXT[start:end]
    if not fragment.strip():
        return
    span = locate(TEXT, fragment)
    assert span is not None
    assert TEXT[span.start : span.end] == fragment


@given(st.text(min_size=1, max_size=60))
def test_normalised_offsets_always_point_inside_the_original(text):
    folded = normalise(text)
    assert len(folded.text) == len(folded.offsets)
    assert all(0 <= offset < len(text) for offset in folded.offsets)


def _claim(content: str, mention: str = "the army", cue: str = "said") -> ExtractedClaim:
    return ExtractedClaim(
        speaker="Malian army", speaker_type="organization", mention=mention, cue=cue,
        content=content, quote_type="indirect", hedging="none", stance="neutral", restatement=content,
    )


def test_repeated_passage_claims_take_successive_occurrences():
    passage = "the army said the attacks failed. "
    text = passage + "Other news. " + passage
    claims = [_claim("the attacks failed"), _claim("the attacks failed")]
    assert ground_all(text, claims) == []
    starts = [c.spans.content[0].start for c in claims]
    assert starts == [text.index("the attacks failed"), text.rindex("the attacks failed")]
    assert claims[1].spans.cue[0].start == text.rindex("said")


def test_ground_all_reports_the_field_that_failed():
    claims = [_claim("the attacks failed", mention="the navy")]
    failures = ground_all("the army said the attacks failed.", claims)
    assert [f.index for f in failures] == [0]
    assert "mention" in failures[0].reason and claims[0].spans is None


def test_matches_never_cut_a_word():
    text = "The minister said: he would go."
    assert locate(text, "he", near=0).start == text.index(" he ") + 1
    assert locate("Theirs is the view.", "he") is None
