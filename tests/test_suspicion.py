"""When is "no claims" suspicious? Quotations and reporting verbs say a text has claims."""

from __future__ import annotations

import pytest

from annotator.suspicion import empty_but_attributed


@pytest.mark.parametrize(
    "text",
    [
        "The river rose by two metres overnight. Roads were closed in three districts.",
        "Weather: sunny, 24 degrees. Tomorrow: rain.",
        'The film "The Long Night of the Fox" opens on Friday.',  # a quoted title, no source
        "He said nothing.",  # one reporting verb, no quotation
    ],
)
def test_an_empty_answer_for_a_text_without_attribution_is_believable(text):
    assert empty_but_attributed(text) is None


def test_quotations_and_reporting_verbs_make_an_empty_answer_suspicious():
    text = ('"We have never seen the river this high," the mayor told reporters. Officials said the water '
            "could rise further, according to the regional authority.")
    assert empty_but_attributed(text) == (
        "no claims, although the text has 1 quotation(s) and 3 reporting verb(s) (told x1, said x1, according "
        "to x1): check the answer in the article's log"
    )
    assert empty_but_attributed("The minister said so. Her aide said so too.") is not None, "two verbs suffice"


async def test_a_flagged_article_is_counted_and_shows_as_check_in_the_summary(tmp_path):
    from annotator.backends import BackendConfig, Extraction
    from annotator.cli.annotate import ProgressObserver, console
    from annotator.models import Article
    from annotator.runs import RunOptions, execute

    class Empty:
        name, model, prompt_version, endpoint, mode = "empty", "m", "p", None, None

        async def prepare(self) -> list[str]:
            return []

        async def extract(self, article: Article) -> Extraction:
            return Extraction(claims=[])

    text = "The minister said so. Her aide said so too, according to officials."
    articles = [Article(id="a", text=text, path="a.txt"), Article(id="b", text="Rain.", path="b.txt")]
    observer = ProgressObserver()
    with console.capture() as captured:
        with observer:
            report = await execute(articles, BackendConfig(), RunOptions(out=tmp_path / "o"), observer,
                                   backend=Empty())
        observer.summary(report, tmp_path / "o")
    assert report.record.flagged == 1 and [r.warnings != [] for r in report.results] == [True, False]
    shown = " ".join(captured.get().split())
    assert "│ a │ 0 │ 0 │ 0 │ check │" in shown and "│ b │ 0 │ 0 │ 0 │ ok │" in shown
    assert "check a: no claims, although the text has 0 quotation(s) and 3 reporting verb(s)" in shown
    assert "2 annotated, 1 to check," in shown
