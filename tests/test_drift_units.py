"""The comparison's parts on small made-up inputs: numbers, cue forces, speakers, alignment, stories."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from annotator.drift.alignment import align
from annotator.drift.changes import ClaimRef, content_changed, member_changes
from annotator.drift.forces import force
from annotator.drift.lexicon import Force
from annotator.drift.loading import CompareInputError, StoryArticle, credited_outlet
from annotator.drift.numbers import number_drifts, quantities
from annotator.drift.run import compare_articles
from annotator.drift.similarity import reduce_text
from annotator.drift.speakers import merge_speakers, read_aliases
from annotator.drift.stories import choose_reference, read_manifest
from annotator.models import Claim, Hedging, QuoteType, Speaker, SpeakerType, Stance


def claim(content: str, speaker: str = "s", cue: str = "said", **labels: object) -> Claim:
    fields: dict[str, object] = {"quote_type": QuoteType.indirect, "hedging": Hedging.none, "stance": Stance.neutral}
    fields.update(labels)
    return Claim(speaker=speaker, mention=None, cue=cue, content=content, via=fields.pop("via", []), **fields)


def article(article_id: str, claims: list[Claim], speakers: dict[str, str], **extra: object) -> StoryArticle:
    entities = {sid: Speaker(id=sid, name=name, type=SpeakerType.organization) for sid, name in speakers.items()}
    return StoryArticle(id=article_id, path=Path(f"{article_id}.json"), claims=claims, speakers=entities, **extra)


def test_quantities_keep_approximators_and_skip_dates_and_years():
    text = "at least 30 soldiers on 2 June 2025, over three barracks"
    found = [(q.text, q.value, q.approximator) for q in quantities(text)]
    assert found == [("at least 30", 30.0, "above"), ("over three", 3.0, "above")]
    assert [q.value for q in quantities("twenty-five people and several towns")] == [25.0, None]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ('"neutralising" more than 80 militants', "have killed 80 militants", [("more than 80", "80")]),
        ("three army barracks", "over three barracks and dozens of positions", [("three", "over three")]),
        ("seven towns", "several towns", [("seven", "several")]),
        ("more than 80 militants", "over 80 fighters", []),
        ("seven towns and cities", "seven towns", []),
    ],
)
def test_number_drifts(before: str, after: str, expected: list[tuple[str, str]]):
    drifts = number_drifts(before, after)
    assert [(d.before.text if d.before else None, d.after.text if d.after else None) for d in drifts] == expected


@pytest.mark.parametrize(
    ("cue", "expected"),
    [("said", Force.neutral), ("stated", Force.neutral), ("claimed", Force.distancing), ("claiming", Force.distancing),
     ("claimed responsibility", Force.neutral), ("earlier claimed responsibility", Force.neutral),
     ("asserting", Force.assertive), ("noting", Force.factive), ("as saying", Force.neutral),
     ("warnings", Force.neutral), (":", None), (None, None)],
)
def test_cue_force_classes(cue: str | None, expected: Force | None):
    assert force(cue) is expected


def test_reduce_text_keeps_content_word_stems():
    assert reduce_text("Mali's army said it repelled the attacks") == "mali army repell attack"
    assert reduce_text("they attacked") == reduce_text("the attacks") == "attack"
    assert reduce_text("seven towns") == "7 town"


def test_speakers_merge_across_articles_by_name_acronym_and_spelling():
    a = article("a", [], {"army": "Mali's army", "jnim": "Jama'at Nusrat al-Islam wal Muslimin (JNIM)"})
    b = article("b", [], {"x1": "The Malian army", "x2": "JNIM"})
    c = article("c", [], {"y1": "the group"})
    speakers = merge_speakers([a, b, c])
    assert speakers.of("a", "army") == speakers.of("b", "x1")
    assert speakers.of("a", "jnim") == speakers.of("b", "x2")
    named = {speakers.of("a", "army"), speakers.of("a", "jnim")}
    assert speakers.of("c", "y1") not in named, "generic anaphors never merge"


def test_speakers_of_one_article_are_never_merged():
    a = article("a", [], {"p": "Mali army", "q": "Malian army"})
    speakers = merge_speakers([a])
    assert speakers.of("a", "p") != speakers.of("a", "q")


def test_alias_file_in_the_gender_gap_tracker_format(tmp_path: Path):
    path = tmp_path / "aliases.txt"
    lines = "Primary name, alias1, alias 2, ...\nMalian army, Mali's military, the armed forces\n"
    path.write_text(lines, encoding="utf-8")
    table = read_aliases(path)
    a = article("a", [], {"army": "Mali's military"})
    b = article("b", [], {"forces": "the armed forces"})
    speakers = merge_speakers([a, b], table)
    assert speakers.of("a", "army") == speakers.of("b", "forces")
    assert speakers.name("a", "army") == "Malian army"


def test_alias_file_naming_one_name_twice_is_an_error(tmp_path: Path):
    path = tmp_path / "aliases.txt"
    path.write_text("A, B\nC, B\n", encoding="utf-8")
    with pytest.raises(CompareInputError, match=r"aliases.txt:2: 'B' is already an alias of 'A'"):
        read_aliases(path)


def test_assignment_is_one_to_one_and_repeats_join_as_a_unit():
    # article 0: claims 0, 1; article 1: claims 2, 3 (2 is like 0), 4 (a repeat of 2)
    scores = np.full((5, 5), 0.1)
    for i, j, s in [(0, 2, 0.9), (0, 3, 0.65), (1, 3, 0.7), (2, 4, 0.95), (0, 4, 0.9), (1, 2, 0.62)]:
        scores[i, j] = scores[j, i] = s
    clusters = align([0, 0, 1, 1, 1], scores).clusters
    assert sorted(clusters) == [[0, 2, 4], [1, 3]]


def test_claims_split_from_one_sentence_never_share_a_cluster():
    scores = np.full((2, 2), 0.95)
    apart = np.array([[False, True], [True, False]])
    assert align([0, 0], scores, apart=apart).clusters == [[0], [1]]


def test_member_changes_lists_each_field_once():
    ref = article("r", [claim("the access would significantly boost their capacity for smuggling", "langley",
                               "warned", hedging=Hedging.low, hedge_cues=["would"])],
                  {"langley": "Gen Michael Langley"}, text=None)
    other = article("o", [claim("could enhance their smuggling capabilities", "africom", "claimed",
                                hedging=Hedging.high, hedge_cues=["could"], via=["AFP"])],
                    {"africom": "United States Africa Command"})
    speakers = merge_speakers([ref, other])
    changes = member_changes("c01", ClaimRef(ref, 0), ClaimRef(other, 0), speakers)
    by_field = {c.field.value: c for c in changes}
    assert set(by_field) == {"speaker", "via", "hedging", "cue", "content"}
    assert by_field["hedging"].direction == "more"
    assert (by_field["cue"].before, by_field["cue"].after) == ("warned", "claimed")


def test_content_change_is_a_dropped_name_not_a_paraphrase():
    assert content_changed(claim("seven towns, near the border with Senegal"), claim("seven towns"))
    assert not content_changed(claim("the army recovered weapons"), claim("The army recovered weapons"))


def test_reference_rule_dates_then_via_then_first():
    a = article("a", [claim("x", via=["BBC"])], {"s": "S"}, outlet="Firstpost")
    b = article("b", [claim("y")], {"s": "S"}, outlet="BBC News")
    assert choose_reference([a, b], None)[0].id == "b"
    dated = [article("a", [], {}, date="2025-07-02"), article("b", [], {}, date="2025-07-01")]
    assert choose_reference(dated, None)[0].id == "b"
    assert choose_reference([article("a", [], {}), article("b", [], {})], None)[0].id == "a"
    with pytest.raises(CompareInputError, match="--reference z: no such article"):
        choose_reference([a, b], "z")


def test_credit_line_names_the_outlet_but_a_body_mention_does_not():
    assert credited_outlet("Headline\n\nWedaeli Chibelushi\nBBC News\nBody told the BBC that ...") == "BBC News"
    assert credited_outlet("A resident told the BBC that gunfire could be heard.") is None


def test_manifest_errors_name_the_file_and_field(tmp_path: Path):
    path = tmp_path / "stories.toml"
    path.write_text('[[stories]]\nid = "x"\narticles = []\n', encoding="utf-8")
    with pytest.raises(CompareInputError, match=r"stories.toml: stories.0.articles"):
        read_manifest(path)


def test_compare_articles_reports_an_omission_with_the_nearest_claim_of_the_source():
    ref = article("r", [claim("the bridge will open in May", "mayor"), claim("the budget is 80 million", "mayor")],
                  {"mayor": "Mayor Smith"})
    other = article("o", [claim("the bridge will open in May", "mayor")], {"mayor": "Mayor Smith"})
    result = compare_articles([ref, other], reference="r").comparison
    (omitted,) = [c for c in result.changes if c.field.value == "omitted"]
    assert omitted.before == "the budget is 80 million" and omitted.nearest and omitted.nearest["claim"] == 0
