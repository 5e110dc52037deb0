"""The offline backend on constructed sentences: each construction of the issue's item 2,
speaker resolution, ``via``, hedging and stance end to end, grounding, determinism."""

from __future__ import annotations

import pytest

from annotator.claims import ExtractedClaim, ground_all
from annotator.models import Article, Hedging, QuoteType, SpeakerType, Stance
from annotator.offline.backend import OfflineBackend
from annotator.offline.document import Document, analyse
from annotator.offline.features import WordTable
from annotator.offline.lexicon import load_lexicon
from annotator.offline.reported_speech import Relation
from annotator.offline.scheme import to_scheme


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


# Issue 13: the sample errors, each as a construction of its own (not the sample text).


def test_page_furniture_gives_no_claims_and_stays_out_of_contents(backend: OfflineBackend) -> None:
    text = (
        " date 2025-07-02 The army said it had repelled the attacks on three posts.\n"
        "Image: REUTERS/Jane Photographer\n"
        "READ MORE:\n"
        "Army says two more posts attacked as violence escalates\n"
        "Minister says talks will resume next week\n"
        "Please read our Comment Policy before commenting.\n"
    )
    claim = _only(backend, text)
    assert claim.content == "it had repelled the attacks on three posts"
    assert claim.mention == "The army"


def test_a_headline_describing_an_action_is_no_claim_but_a_reporting_one_is(backend: OfflineBackend) -> None:
    action = "Fighters stage series of attacks on army posts\n\nThe attacks began on Tuesday morning.\n"
    assert _claims(backend, action) == []
    reported = "Army says 80 militants killed after attacks on its posts\n\nThe attacks began on Tuesday.\n"
    claim = _only(backend, reported)
    assert (claim.cue, claim.content) == ("says", "80 militants killed after attacks on its posts")


def test_glued_widget_text_is_not_part_of_the_speaker(backend: OfflineBackend) -> None:
    text = "Impact Shorts\nMore ShortsJNIM described its latest assault as \u201ccoordinated\u201d online."
    (claim,) = backend.extract_claims(Article(id="w", text=text, path="w.txt"))
    assert (claim.mention, claim.speaker) == ("JNIM", "JNIM")
    assert claim.spans is not None  # "ShortsJNIM" is one word to string grounding: the span says where
    assert text[claim.spans.mention[0].start : claim.spans.mention[0].end] == "JNIM"


def test_the_military_and_the_group_resolve_to_sources_not_to_a_channel_or_an_outlet(backend: OfflineBackend) -> None:
    text = (
        "Malian army said the enemy suffered heavy losses in a statement broadcast on national TV.\n"
        "BBC quoted a spokesman as saying the army had recovered weapons.\n"
        "Earlier, the military reported that the attacks took place in seven towns.\n"
        "A resident told the BBC that gunfire could be heard everywhere.\n"
        "JNIM described its latest assault as coordinated in a statement online.\n"
        "The group also claimed responsibility for two other attacks."
    )
    claims = {c.mention: c for c in _claims(backend, text)}
    assert (claims["Malian army"].speaker, claims["Malian army"].speaker_type) == (
        "Malian army",
        SpeakerType.organization,
    )
    assert claims["the military"].speaker == "Malian army"
    assert claims["The group"].speaker == "JNIM"


def test_he_after_an_anonymous_source_is_that_source_not_the_town(backend: OfflineBackend) -> None:
    text = (
        "The attacks hit seven towns, including Binoli, Kayes and Sandere. "
        "A resident of Kayes told the BBC that gunfire could be heard during the assault. "
        "\u201cThe police station was damaged,\u201d he said, adding that casualty figures were still unclear."
    )
    claims = _claims(backend, text)
    he = [c for c in claims if c.mention == "he"]
    assert he and all(c.speaker == "A resident of Kayes" for c in he)
    assert all(c.speaker_type is SpeakerType.anonymous for c in he)


def test_he_skips_places_named_in_the_previous_claim(backend: OfflineBackend) -> None:
    text = (
        "Gen Michael Langley described recent attacks in Nigeria, the wider Sahel, and the Lake Chad Basin "
        "as deeply troubling. He warned that the groups' access to the coast would boost their capacity."
    )
    warned = next(c for c in _claims(backend, text) if c.cue == "warned")
    assert warned.speaker == "Michael Langley"
    assert warned.quote_type is QuoteType.indirect  # the plural possessive's apostrophe is no quotation mark


def test_speaker_is_the_whole_name_not_a_fragment(backend: OfflineBackend) -> None:
    army = _only(backend, "The Malian army reported that it had repelled the attacks.")
    assert (army.speaker, army.speaker_type) == ("Malian army", SpeakerType.organization)
    prince = _only(backend, "Saudi energy minister Prince Abdulaziz bin Salman said oil prices would rise.")
    assert prince.speaker == "Abdulaziz bin Salman" and prince.speaker_type is SpeakerType.person
    assert prince.speaker_role == "Saudi energy minister Prince"


def test_apposition_is_left_out_of_the_mention_on_either_side(backend: OfflineBackend) -> None:
    first = _only(backend, "Souleymane Dembele, the army's spokesperson, said the enemy had fled.")
    assert (first.mention, first.speaker) == ("Souleymane Dembele", "Souleymane Dembele")
    after = _only(backend, "The commander of the force, Gen Michael Langley, said the attacks were troubling.")
    assert (after.mention, after.speaker) == ("Gen Michael Langley", "Michael Langley")


def test_outlet_quoted_x_as_saying_after_a_quotation(backend: OfflineBackend) -> None:
    text = (
        "\u201cThe enemy suffered significant losses in every location,\u201d BBC quoted Army Spokesperson "
        "Souleymane Dembele as saying in a statement broadcast on national TV."
    )
    claim = _only(backend, text)
    assert (claim.speaker, claim.cue, claim.via) == ("Souleymane Dembele", "as saying", ["BBC"])
    assert claim.content == "The enemy suffered significant losses in every location"
    assert claim.quote_type is QuoteType.direct


def test_told_a_news_agency_with_a_colon_keeps_told_as_the_cue(backend: OfflineBackend) -> None:
    claim = _only(backend, 'One resident in Kayes told the AFP news agency: "We woke up in shock this morning."')
    assert (claim.cue, claim.mention, claim.via) == ("told", "One resident in Kayes", ["AFP"])
    assert claim.content == "We woke up in shock this morning"


def test_content_is_not_cut_off_in_a_list(backend: OfflineBackend) -> None:
    text = (
        "Earlier, the armed forces said that the attacks had occurred across seven towns and cities, "
        "including Binoli, Kayes and Sandere, near the border with Senegal."
    )
    assert _only(backend, text).content.endswith("near the border with Senegal")


def test_markdown_emphasis_is_not_part_of_a_mention(backend: OfflineBackend) -> None:
    claim = _only(backend, "**Reuters** said the minister had resigned on Tuesday.")
    assert (claim.mention, claim.speaker) == ("Reuters", "Reuters")


# Issue 13: the error classes on news text.


def test_noun_phrase_content_of_a_speech_act(backend: OfflineBackend) -> None:
    claims = _claims(backend, "Describing the chaos, a resident remarked on the panic, noting the sound of gunfire.")
    remarked = next(c for c in claims if c.cue == "remarked")
    assert remarked.content == "the panic"


def test_nominal_cue_with_its_source_and_content(backend: OfflineBackend) -> None:
    text = (
        "The violence deepens insecurity in the region, echoing warnings from the United States Africa Command "
        "about rising threats from militant factions, which could enhance their smuggling capabilities."
    )
    warnings = [c for c in _claims(backend, text) if c.cue == "warnings"]
    assert [c.content for c in warnings] == [
        "rising threats from militant factions",
        "could enhance their smuggling capabilities",
    ]
    assert {c.speaker for c in warnings} == {"United States Africa Command"}


def test_reporting_participle_takes_the_main_clause_source(backend: OfflineBackend) -> None:
    text = 'Ryan and Trump will meet next week, Spicer said, adding, "They need to have a good talk."'
    claims = _claims(backend, text)
    assert {c.cue: c.mention for c in claims} == {"said": "Spicer", "adding": "Spicer"}


def test_attribution_inside_the_content_joins_both_halves(backend: OfflineBackend) -> None:
    claim = _only(backend, "The move, Carr explained, was the result of nearly three years of preparation.")
    expected = "The move \u2026 was the result of nearly three years of preparation"
    assert (claim.cue, claim.content) == ("explained", expected)


def test_claiming_to_have_and_what_was_not_said(backend: OfflineBackend) -> None:
    text = (
        "Mali's military reported that it repelled the attacks, claiming to have \"neutralised\" over 80 "
        "militants, but did not provide information regarding its own casualties."
    )
    claiming = next(c for c in _claims(backend, text) if c.cue == "claiming")
    assert claiming.content == '"neutralised" over 80 militants'
    assert (claiming.quote_type, claiming.stance) == (QuoteType.mixed, Stance.distance)


def test_author_framing_participle_is_not_a_claim(backend: OfflineBackend) -> None:
    text = (
        "The army said it had repelled attacks on military posts across the country, "
        "marking the third major offensive against the army in a month."
    )
    assert [c.content for c in _claims(backend, text)] == [
        "it had repelled attacks on military posts across the country"
    ]


def test_auxiliaries_and_time_phrases_stay_out_of_cue_and_mention(backend: OfflineBackend) -> None:
    claim = _only(backend, "The group has also said it carried out two other significant recent attacks.")
    assert (claim.mention, claim.cue) == ("The group", "said")
    timed = _only(backend, "Malian army on Tuesday said that it neutralised more than 80 militants.")
    assert timed.mention == "Malian army"


def test_noting_is_a_factive_cue(backend: OfflineBackend) -> None:
    claims = _claims(backend, "A witness recounted the morning chaos, noting gunfire near the governor's residence.")
    noting = next(c for c in claims if c.cue == "noting")
    assert noting.stance is Stance.endorse


def test_a_document_of_an_organisation_is_attributed_to_it(backend: OfflineBackend) -> None:
    text = (
        "The Malian army reported that it had repelled the attacks. "
        "All were struck by shellfire, the army's statement said."
    )
    statement = next(c for c in _claims(backend, text) if c.mention == "the army's statement")
    assert (statement.speaker, statement.content) == ("Malian army", "All were struck by shellfire")


def test_the_complementiser_after_the_cue_is_left_out(backend: OfflineBackend) -> None:
    """The guidelines: "said that it ..." gives ``it ...``; a quoted or fronted "That" is
    the source's own word."""
    claim = _only(backend, "The ministry said that the bridge would reopen in May.\n")
    assert claim.content == "the bridge would reopen in May"
    quoted = _only(backend, '"That is not true," the minister said.\n')
    assert quoted.content == "That is not true"


def test_a_colon_closing_its_paragraph_introduces_the_quotation_below(backend: OfflineBackend) -> None:
    text = (
        "In a 1963 speech in Montgomery, the governor declared:\n\n"
        "\u201cSegregation now, segregation tomorrow, segregation forever.\u201d\n\nThe crowd cheered."
    )
    claim = _only(backend, text)
    assert (claim.mention, claim.cue, claim.quote_type) == ("the governor", "declared", QuoteType.direct)
    assert claim.content == "Segregation now, segregation tomorrow, segregation forever"
    # a paragraph below that is no quotation is the author's
    assert _claims(backend, "In a 1963 speech in Montgomery, the governor declared:\n\nThe crowd cheered loudly.") == []


def test_a_reporting_verb_introducing_a_quotation_is_a_cue_though_rare(backend: OfflineBackend) -> None:
    claim = _only(
        backend,
        "The senator was asked about the deal. She jokes, \u201cIt\u2019s a never ending line!\u201d",
    )
    assert (claim.mention, claim.cue, claim.content) == ("She", "jokes", "It\u2019s a never ending line!")
    assert claim.quote_type is QuoteType.direct


_RATH = (
    "\u201cWhat Ryan did is almost calling out for that kind of moment,\u201d said Tom Rath, a veteran "
    "New Hampshire party leader who had endorsed Kasich and is slated to be a delegate to the "
    "convention in July. \u201cThere are pages in his book that are blank, and I think he needs to "
    "fill them in"
)


def test_a_quotation_goes_on_after_a_long_apposition(backend: OfflineBackend) -> None:
    claim = _only(backend, _RATH + ".\u201d")
    assert claim.speaker == "Tom Rath"
    assert claim.content == (
        "What Ryan did is almost calling out for that kind of moment \u2026 There are pages in his "
        "book that are blank, and I think he needs to fill them in"
    )
    assert claim.quote_type is QuoteType.direct


def test_a_quotation_with_a_cue_of_its_own_does_not_go_on_the_previous_one(backend: OfflineBackend) -> None:
    claims = _claims(backend, _RATH + ",\u201d he added.")
    rath = [c for c in claims if c.cue == "said"]
    assert [c.content for c in rath] == ["What Ryan did is almost calling out for that kind of moment"]
    assert any(c.cue == "added" and c.content.startswith("There are pages") for c in claims)


def test_a_paragraph_opening_with_a_name_and_a_colon_is_that_speaker_s_words(backend: OfflineBackend) -> None:
    words = "Hillary \u2018Better Qualified to Be President for This Time Than I Was When I Ran\u2019"
    text = (
        f"Bill Clinton: {words}\n\nThe former president spoke in Ohio on Monday.\n\n"
        "Clinton: 547.\n\nUPDATE: The story was changed on Monday."
    )
    claims = _claims(backend, text)
    # a vote tally and an editor's label are no one's words
    assert [(c.mention, c.cue, c.content) for c in claims] == [("Bill Clinton", ":", words)]


def test_a_finding_in_a_poll_is_attributed_to_the_poll(backend: OfflineBackend) -> None:
    claim = _only(backend, "Mr. Trump is comfortably ahead of his rivals in a CNN national poll.")
    assert (claim.mention, claim.cue) == ("a CNN national poll", "in")
    assert claim.content == "Mr. Trump is comfortably ahead of his rivals"
    leading = _only(
        backend, "In a Suffolk University poll released Monday, most voters were unhappy with the government."
    )
    assert (leading.mention, leading.content) == (
        "a Suffolk University poll released Monday", "most voters were unhappy with the government"
    )
    assert _claims(backend, "He lives in a house near the lake.") == []


# Issue 13, after the cue tagger's retraining moved its marginals: classes the sample
# articles showed, each as a construction of its own.


def _doc(text: str) -> Document:
    return analyse(text, WordTable({}))


def _relation(doc: Document, cue: str, source: str, content: str) -> Relation:
    """A relation over the first tokens spelling each of ``cue``, ``source``, ``content``."""

    def run(words: str) -> tuple[int, int]:
        n = len(words.split())
        texts = [t.text for t in doc.tokens]
        start = next(i for i in range(len(texts)) if " ".join(texts[i : i + n]) == words)
        return start, start + n

    c, s, t = run(cue), run(source), run(content)
    return Relation(tuple(range(*c)), tuple(range(*s)), (t,))


def test_an_action_verb_is_no_cue_of_the_scheme() -> None:
    doc = _doc("Rebels have launched a wave of attacks on army bases across the north.")
    relation = _relation(doc, "launched a wave of attacks on", "Rebels", "army bases across the north")
    assert to_scheme(doc, relation, load_lexicon().action_cues) == []
    assert len(to_scheme(doc, relation)) == 1  # dropped as an action, not for its shape
    said = _doc("Rebels said they had seized army bases across the north.")
    kept = to_scheme(said, _relation(said, "said", "Rebels", "they had seized army bases across the north"))
    assert len(kept) == 1


def test_which_after_a_noun_that_names_no_source_is_no_speaker() -> None:
    event = _doc("The region has known a long rebellion for a decade, which has also involved raids on towns.")
    assert to_scheme(event, _relation(event, "has also involved", "which", "raids on towns")) == []
    report = _doc("The army published a report, which found that raids on towns had doubled.")
    (kept,) = to_scheme(report, _relation(report, "found", "which", "raids on towns had doubled"))
    assert kept.source == _relation(report, "found", "which", "raids").source


def test_a_reporting_participle_after_a_two_word_content_is_a_claim_of_its_own(backend: OfflineBackend) -> None:
    claims = _claims(
        backend, "The movement claimed responsibility for the raids, asserting it had seized two army bases."
    )
    asserting = [c for c in claims if c.cue == "asserting"]
    assert [c.content for c in asserting] == ["it had seized two army bases"]
    assert all("asserting" not in c.content for c in claims)


def test_a_participle_whose_source_is_a_piece_of_the_main_source_takes_the_whole(backend: OfflineBackend) -> None:
    claims = _claims(backend, "A witness recounted the morning chaos, noting gunfire near the governor's residence.")
    noting = next(c for c in claims if c.cue == "noting")
    assert noting.mention == "A witness"


def test_a_headline_colon_attributes_to_a_speaker_not_to_a_title(backend: OfflineBackend) -> None:
    def colon_claims(headline: str, body: str) -> list[ExtractedClaim]:
        return [c for c in _claims(backend, f"{headline}\n\n{body}\n") if c.cue == ":"]

    body = "Senator Mary Walsh spoke to reporters on Tuesday about the budget vote in the capital."
    assert [c.mention for c in colon_claims("Walsh: Budget Deal Is Dead On Arrival", body)] == ["Walsh"]
    assert colon_claims("Budget Drama: Deal Is Dead On Arrival In The Senate", body) == []
    assert colon_claims("BOOM: Deal Is Dead On Arrival In The Senate", body) == []
