"""Long articles: paragraph pieces within budget, offsets back to the whole article."""

import itertools

from annotator.chunking import merge_duplicates, paragraphs, split
from annotator.claims import ExtractedClaim, ground_all


def words(text: str) -> int:
    return len(text.split())


ARTICLE = "\n\n".join(f"Paragraph {i} says the official said thing number {i}." for i in range(10))


def test_short_text_is_one_piece():
    assert split("One. Two.", budget=100, count=words)[0].text == "One. Two."


def test_pieces_fit_the_budget_overlap_by_a_paragraph_and_cover_everything():
    pieces = split(ARTICLE, budget=25, count=words)
    assert len(pieces) > 1
    assert all(words(p.text) <= 25 for p in pieces)
    assert all(ARTICLE[p.start : p.start + len(p.text)] == p.text for p in pieces)
    for before, after in itertools.pairwise(pieces):
        assert after.start < before.start + len(before.text)  # one paragraph shared
    covered = {
        para.start for p in pieces for para in paragraphs(ARTICLE) if p.start <= para.start < p.start + len(p.text)
    }
    assert covered == {para.start for para in paragraphs(ARTICLE)}


def test_overlap_duplicates_are_merged_after_offsets_are_shifted():
    pieces = split(ARTICLE, budget=25, count=words)
    found = []
    for piece in pieces:
        claims = [
            ExtractedClaim(speaker="official", speaker_type="anonymous", mention="the official",
                           cue="said", content=f"thing number {i}", quote_type="indirect",
                           hedging="none", stance="neutral", restatement="x")
            for i in range(10) if f"thing number {i}." in piece.text
        ]
        assert ground_all(piece.text, claims) == []
        for claim in claims:
            claim.shift(piece.start)
        found.extend(claims)
    merged = merge_duplicates(found)
    assert len(found) > 10 and len(merged) == 10
    for claim in merged:
        span = claim.spans.content[0]
        assert ARTICLE[span.start : span.end] == claim.content
