"""The offline backend on constructed sentences: each construction of the issue's item 2,
speaker resolution, ``via``, hedging and stance end to end, grounding, determinism."""

from __future__ import annotations

import pytest

from annotator.claims import ExtractedClaim, ground_all
from annotator.models import Article, Hedging, QuoteType, SpeakerType, Stance
from annotator.offline.backend import OfflineBackend


@pytest.fixture(scope="module")
def backend() -> OfflineBackend:
    return OfflineBackend()


def _claims(backend: OfflineBackend, text: str) -> list[ExtractedClaim]:
    claims = backend.extract_claims(Article(id="t", text=text, path="t.txt"))
    assert ground_all(text, claims) == [], "every offline claim grounds verbatim"
    return claims


def _only(backend: OfflineBackend, text: str) -> ExtractedClaim:
    claims = _claims(backend, text)
    assert len(claims) == 1, [c.content for c in claims]
    return claims[0]


def test_direct_quote_then_speaker_curly(backend: OfflineBackend) -> None:
    claim = _only(backend, "\u201cWe will rebuild the bridge before winter,\u201d Mayor John Smith said on Monday.")
    assert claim.content == "We will rebuild the bridge before winter"
    assert claim.quote_type is QuoteType.direct
    assert (claim.speaker, claim.speaker_type, claim.mention) == ("John Smith", SpeakerType.person, "Mayor John Smith")
    assert claim.cue == "said"


def test_speaker_then_quote_straight_with_colon(backend: OfflineBackend) -> None:
    claim = _only(backend, 'John Smith said: "We will rebuild the bridge before winter."')
    assert (claim.speaker, claim.cue, claim.quote_type) == ("John Smith", "said", QuoteType.direct)
    assert claim.content == "We will rebuild the bridge before winter"


def test_colon_introduction_with_role(backend: OfflineBackend) -> None:
    text = (
        "In a statement broadcast on national TV, army spokesperson Souleymane Dembele said: "
        '"The enemy suffered significant losses."'
    )
    claim = _only(backend, text)
    assert claim.content == "The enemy suffered significant losses"
    assert (claim.speaker, claim.speaker_role) == ("Souleymane Dembele", "army spokesperson")


def test_quote_running_over_paragraphs_is_one_direct_claim(backend: OfflineBackend) -> None:
    text = (
        "The mayor spoke on Monday.\n\n\u201cWe will rebuild the bridge before winter. It is our duty.\n\n"
        "\u201cThe money is there,\u201d Mayor John Smith said."
    )
    claim = _only(backend, text)
    assert claim.content.startswith("We will rebuild the bridge")
    assert claim.content.endswith("The money is there")
    assert claim.quote_type is QuoteType.direct


def test_indirect_speech_speaker_first(backend: OfflineBackend) -> None:
    claim = _only(backend, "Senator Jane Doe said that the bill would pass next week.")
    assert (claim.speaker, claim.cue, claim.quote_type) == ("Jane Doe", "said", QuoteType.indirect)
    assert "the bill would pass next week" in claim.content
    assert (claim.hedging, claim.hedge_cues) == (Hedging.low, ["would"])


def test_indirect_speech_speaker_after(backend: OfflineBackend) -> None:
    claim = _only(backend, "The bill will pass next week, Senator Jane Doe said.")
    assert claim.content == "The bill will pass next week"
    assert (claim.speaker, claim.cue) == ("Jane Doe", "said")


def test_according_to(backend: OfflineBackend) -> None:
    claim = _only(backend, "The army lost 12 soldiers in the attack, according to local officials.")
    assert (claim.cue, claim.mention) == ("according to", "local officials")
    assert claim.speaker_type is SpeakerType.anonymous
    assert claim.content == "The army lost 12 soldiers in the attack"


def test_statement_of_an_organisation(backend: OfflineBackend) -> None:
    claim = _only(backend, "The ministry said in a statement that the border would reopen on Friday.")
    assert claim.speaker_type is SpeakerType.organization
    assert claim.cue.startswith("said")
    assert "the border would reopen" in claim.content


def test_report_is_attributed_to_its_author(backend: OfflineBackend) -> None:
    text = "A United Nations report published on Tuesday found that the drought had displaced 2 million people."
    claim = _only(backend, text)
    assert (claim.speaker, claim.speaker_type) == ("United Nations", SpeakerType.organization)
    assert "the drought had displaced 2 million people" in claim.content


def test_pronoun_resolves_to_the_nearest_named_person(backend: OfflineBackend) -> None:
    text = (
        "Gen Michael Langley visited the region last week. He warned that the groups\u2019 access "
        "to the coast would significantly boost their capacity for smuggling."
    )
    claim = _only(backend, text)
    assert (claim.speaker, claim.mention, claim.cue) == ("Michael Langley", "He", "warned")
    assert (claim.hedging, claim.stance) == (Hedging.low, Stance.neutral)


def test_the_group_resolves_to_the_organisation_and_acronym_is_an_alias(backend: OfflineBackend) -> None:
    text = (
        "Jama\u2019at Nusrat al-Islam wal Muslimin (JNIM) attacked three towns. "
        "The group said it had seized control of three army barracks."
    )
    claim = _only(backend, text)
    assert (claim.mention, claim.speaker_type) == ("The group", SpeakerType.organization)
    assert claim.speaker == "Jama\u2019at Nusrat al-Islam wal Muslimin"


def test_surname_and_title_resolve_to_the_full_name(backend: OfflineBackend) -> None:
    text = "Col Souleymane Dembele spoke to reporters. Dembele said the army had recovered weapons."
    claim = _only(backend, text)
    assert (claim.speaker, claim.mention) == ("Souleymane Dembele", "Dembele")


def test_via_according_to_a_bbc_report(backend: OfflineBackend) -> None:
    claim = _only(backend, "According to a BBC report, JNIM said it had seized control of three army barracks.")
    assert (claim.speaker, claim.cue, claim.via) == ("JNIM", "said", ["BBC"])
    assert claim.content == "it had seized control of three army barracks"


def test_via_told_a_news_agency(backend: OfflineBackend) -> None:
    claim = _only(backend, "One resident in Kayes told the AFP news agency that the gunfire lasted for hours.")
    assert (claim.cue, claim.via, claim.speaker_type) == ("told", ["AFP"], SpeakerType.anonymous)


def test_via_quoted_as_saying(backend: OfflineBackend) -> None:
    claim = _only(backend, "Reuters quoted the minister as saying the talks had failed.")
    assert (claim.mention, claim.cue, claim.via) == ("the minister", "as saying", ["Reuters"])
    assert claim.content == "the talks had failed"


def test_signed_quote_with_a_dash(backend: OfflineBackend) -> None:
    quote = "\u201cHe makes blanket statements about people he knows nothing about.\u201d"
    claim = _only(backend, quote + " \u2015 Pamela Padilla\n")
    assert (claim.speaker, claim.quote_type) == ("Pamela Padilla", QuoteType.direct)


def test_claimed_is_distance_but_claimed_responsibility_is_neutral(backend: OfflineBackend) -> None:
    claimed = _only(backend, "The rebels claimed that they had killed 40 soldiers.")
    assert (claimed.cue, claimed.stance) == ("claimed", Stance.distance)
    responsibility = _only(backend, "JNIM claimed responsibility for the attacks on Tuesday.")
    assert responsibility.cue == "claimed responsibility"
    assert responsibility.content.startswith("the attacks")
    assert responsibility.stance is Stance.neutral


def test_worked_example_one_splits_and_distances_the_scare_quoted_part(backend: OfflineBackend) -> None:
    text = (
        "Mali\u2019s army said it repelled Tuesday morning\u2019s attacks, allegedly \"neutralising\" "
        "more than 80 militants, without saying if there were any other casualties."
    )
    first, second = _claims(backend, text)  # "without saying if ..." claims nothing
    assert (first.content, first.quote_type, first.stance) == (
        "it repelled Tuesday morning\u2019s attacks", QuoteType.indirect, Stance.neutral
    )
    assert second.content.startswith('"neutralising" more than 80 militants')
    assert (second.quote_type, second.stance, second.hedging) == (QuoteType.mixed, Stance.distance, Hedging.none)
    assert first.speaker == second.speaker and first.speaker_type is SpeakerType.organization


def test_claims_come_in_text_order_and_name_one_source_one_way(backend: OfflineBackend) -> None:
    text = (
        "Donald Trump spoke in Ohio. \u201cWe are going to win,\u201d Trump said. "
        "Later, Mr. Trump said that the polls were wrong."
    )
    claims = _claims(backend, text)
    assert [c.speaker for c in claims] == ["Donald Trump", "Donald Trump"]
    assert text.index(claims[0].content) < text.index(claims[1].content)


def test_no_source_no_claim(backend: OfflineBackend) -> None:
    assert _claims(backend, "Further attacks were reported in the north on Tuesday.") == []


def test_backend_is_deterministic_and_names_its_model(backend: OfflineBackend) -> None:
    text = (
        "\u201cWe will win,\u201d Trump said. Clinton said the economy was improving, "
        "according to a transcript. Officials believe the attack was coordinated."
    )
    article = Article(id="d", text=text, path="d.txt")
    first = [c.model_dump() for c in backend.extract_claims(article)]
    again = [c.model_dump() for c in OfflineBackend().extract_claims(article)]
    assert first == again and first
    assert backend.model.startswith("offline-") and len(backend.prompt_version) == 16


def test_actions_and_intentions_are_not_claims_but_beliefs_are(backend: OfflineBackend) -> None:
    assert _claims(backend, "Senator Jane Doe endorsed the governor for president on Monday.") == []
    belief = _only(backend, "Officials believe the attack was coordinated.")
    assert (belief.cue, belief.speaker_type) == ("believe", SpeakerType.anonymous)
    assert "the attack was coordinated" in belief.content


_POOL_TEXT = (
    "\u201cWe will win,\u201d Trump said. Clinton said the economy was improving, "
    "according to a transcript. Officials believe the attack was coordinated."
)


def _claims_in_worker(backend: OfflineBackend) -> list[dict]:
    return [c.model_dump() for c in backend.extract_claims(Article(id="p", text=_POOL_TEXT, path="p.txt"))]


def test_backend_pickles_and_runs_in_a_spawned_worker(backend: OfflineBackend) -> None:
    """A process pool ships the backend to its workers: each rebuilds it from its
    arguments and gives exactly the parent's claims."""
    import multiprocessing
    import pickle
    from concurrent.futures import ProcessPoolExecutor

    here = _claims_in_worker(backend)
    assert here and _claims_in_worker(pickle.loads(pickle.dumps(backend))) == here
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        assert pool.submit(_claims_in_worker, backend).result() == here
