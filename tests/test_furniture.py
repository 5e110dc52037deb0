"""Page furniture: typed regions of a scraped page that are not the article's own text.

Constructed pages in the styles of the guidelines' section 2.1 (wire sites, BBC,
Reuters-style READ MORE lists, Markdown left by a converter); each kind is found, body
text next to it is not, and masking keeps every offset.
"""

from __future__ import annotations

import itertools

from annotator.furniture import SKIPPED, Region, RegionKind, mask, page_furniture

PAGE = """Rebels say they took the northern town

Jane Reporter
BBC News
AFP via Getty Images Soldiers patrol the road.AFP via Getty Images
WASHINGTON (Reuters) — The army said on Tuesday that it had recovered the town after two days of fighting.

"We will not leave," a resident told the agency by phone from the town centre.

Image: REUTERS/Paul Lorgerie
With inputs from agencies
READ MORE:
Army says two more posts attacked as violence escalates
Minister confirms new term for the council leader
Would you like to comment on this article?
Please read our Comment Policy before commenting.
Follow us on Twitter @Example
"""


def _kinds(text: str) -> list[tuple[RegionKind, str]]:
    return [(r.kind, text[r.start : r.end]) for r in page_furniture(text)]


def test_each_kind_of_furniture_is_found_on_a_wire_page() -> None:
    found = _kinds(PAGE)
    assert (RegionKind.headline, "Rebels say they took the northern town") in found
    assert (RegionKind.byline, "Jane Reporter") in found
    assert _kinds("Title of the story\nBy Jane Reporter and John Smith\n")[1] == (
        RegionKind.byline,
        "By Jane Reporter and John Smith",
    )
    assert (RegionKind.credit, "BBC News") in found
    assert (RegionKind.caption, "AFP via Getty Images Soldiers patrol the road.AFP via Getty Images") in found
    assert (RegionKind.dateline, "WASHINGTON (Reuters) — ") in found
    assert (RegionKind.caption, "Image: REUTERS/Paul Lorgerie") in found
    assert (RegionKind.credit, "With inputs from agencies") in found
    assert (RegionKind.related, "READ MORE:") in found
    assert (RegionKind.related, "Army says two more posts attacked as violence escalates") in found
    assert (RegionKind.related, "Minister confirms new term for the council leader") in found
    assert (RegionKind.boilerplate, "Would you like to comment on this article?") in found
    assert (RegionKind.boilerplate, "Please read our Comment Policy before commenting.") in found
    assert (RegionKind.boilerplate, "Follow us on Twitter @Example") in found


def test_body_text_is_never_furniture() -> None:
    regions = page_furniture(PAGE)
    for sentence in ("The army said on Tuesday", '"We will not leave," a resident told the agency'):
        start = PAGE.index(sentence)
        assert not any(r.start < start + len(sentence) and start < r.end for r in regions), sentence


def test_prose_mentioning_furniture_words_stays_text() -> None:
    text = (
        "The senator said voters would sign up in large numbers, and that the newsletter "
        "her office sends to constituents had doubled its readers this year.\n\n"
        "According to a Reuters/Ipsos poll, the two candidates are in a dead heat nationally."
    )
    assert page_furniture(text) == []


def test_dateline_prefix_and_glued_widget_are_cut_from_their_line() -> None:
    text = (
        " date 2025-07-02 Mali's armed forces have killed 80 militants, the army said on Tuesday.\n"
        "More ShortsJNIM described its assault as coordinated in a statement online."
    )
    found = _kinds(text)
    assert (RegionKind.dateline, "date 2025-07-02 ") in found
    assert (RegionKind.related, "More Shorts") in found
    assert "JNIM described" in mask(text, page_furniture(text))


def test_title_case_lines_and_a_repeated_headline_are_headlines() -> None:
    text = (
        "Coordinated Attacks Target Military Posts\n\n"
        "A series of attacks hit military bases across the country on Tuesday, officials said.\n\n"
        "Coordinated Attacks Target Military Posts\n"
    )
    kinds = [kind for kind, _ in _kinds(text)]
    assert kinds == [RegionKind.headline, RegionKind.headline]


def test_markdown_syntax_is_markup_but_link_text_is_kept() -> None:
    text = "## Talks\n\n**The minister** said the [talks](https://example.com/talks) had failed."
    masked = mask(text, page_furniture(text))
    assert len(masked) == len(text)
    assert " ".join(masked.split()) == "Talks The minister said the talks had failed."


def test_mask_keeps_length_and_line_breaks_and_only_skipped_kinds() -> None:
    masked = mask(PAGE, page_furniture(PAGE))
    assert len(masked) == len(PAGE) and masked.count("\n") == PAGE.count("\n")
    assert "READ MORE" not in masked and "Comment Policy" not in masked
    assert masked.startswith("Rebels say they took the northern town")  # a headline is text
    assert RegionKind.headline not in SKIPPED


def test_regions_are_sorted_and_disjoint() -> None:
    regions = page_furniture(PAGE)
    assert all(isinstance(r, Region) and r.start < r.end for r in regions)
    assert all(a.end <= b.start for a, b in itertools.pairwise(regions))
