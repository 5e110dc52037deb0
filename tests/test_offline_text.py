"""Offline backend text layer: tokens keep offsets, sentences respect abbreviations and
paragraphs, quotation marks pair across paragraphs and in both typographies."""

from __future__ import annotations

from annotator.offline.document import analyse
from annotator.offline.features import WordTable, cue_features
from annotator.offline.quotes import find_quotes
from annotator.offline.sentences import split_sentences, tokenize


def _sentences(text: str) -> list[str]:
    tokens = tokenize(text)
    return [text[tokens[s.first].start : tokens[s.last - 1].end] for s in split_sentences(text, tokens)]


def _quotes(text: str) -> list[str]:
    """The inner text of every quotation (marks excluded)."""
    tokens = tokenize(text)
    paragraph_of = [0] * len(tokens)
    for sentence in split_sentences(text, tokens):
        for i in range(sentence.first, sentence.last):
            paragraph_of[i] = sentence.paragraph
    quotes = find_quotes(tokens, paragraph_of).quotes
    return [text[tokens[q.open + 1].start : tokens[q.close - 1].end] for q in quotes]


def test_tokens_carry_verbatim_offsets() -> None:
    text = "Mali's army said: \u201cWe won.\u201d U.S. forces didn't."
    for token in tokenize(text):
        assert text[token.start : token.end] == token.text
    assert [t.text for t in tokenize(text)][:5] == ["Mali's", "army", "said", ":", "\u201c"]
    assert "U.S." in [t.text for t in tokenize(text)]


def test_abbreviations_and_initials_do_not_end_sentences() -> None:
    text = "Mr. Trump met Gen. Michael Langley and George W. Bush. They talked."
    assert _sentences(text) == [
        "Mr. Trump met Gen. Michael Langley and George W. Bush.",
        "They talked.",
    ]


def test_closing_quote_stays_with_its_sentence_and_paragraphs_split() -> None:
    text = "\u201cWe will win.\u201d He left.\n\nA new paragraph"
    assert _sentences(text) == ["\u201cWe will win.\u201d", "He left.", "A new paragraph"]


def test_straight_and_curly_quotes_pair() -> None:
    assert _quotes('He said "no" and \u201cyes\u201d.') == ["no", "yes"]


def test_quote_running_over_paragraphs_is_one_quotation() -> None:
    text = "\u201cFirst paragraph of the quote.\n\n\u201cSecond paragraph,\u201d he said."
    assert _quotes(text) == [text[1 : text.index(",\u201d") + 1]]


def test_unterminated_quote_ends_with_its_paragraph() -> None:
    text = "He said \u201cno end here.\n\nNext paragraph."
    assert _quotes(text) == ["no end here."]


def _cue_rows(text: str) -> dict[str, list[str]]:
    """The cue tagger's features of each word of a one-sentence text (untrimmed)."""
    doc = analyse(text, WordTable({}))
    rows = cue_features(doc, doc.sentences[0])
    return {doc.tokens[i].text: row for i, row in enumerate(rows)}


def test_cue_features_see_a_reporting_neighbour_a_subject_and_the_place_in_the_sentence() -> None:
    rows = _cue_rows("Yesterday the mayor of Lyon said Tuesday that it rained")
    assert "rep-1" in rows["Tuesday"] and "rep+1" in rows["Lyon"]
    assert "rep-1" not in rows["that"] and "rep+1" not in rows["mayor"]
    assert "subjL=1" in rows["said"]  # "Lyon" just before
    assert "subjL=2" in rows["mayor"]  # "Yesterday", two back, is capitalised
    assert "subjL=0" in rows["Yesterday"]  # nothing on its left in the sentence
    assert "pos=0" in rows["Yesterday"] and "pos=4" in rows["Lyon"] and "pos=4" in rows["rained"]
    # clusters three tokens away: an unseen word has the cluster "-"
    assert "-3f=-" in rows["said"] and "3f=-" in rows["said"]
    assert not any(f.startswith("-3f=") for f in rows["mayor"])  # only two tokens before it
