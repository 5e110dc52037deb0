"""Every input format, and the field mapping that turns records into articles."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from annotator.articles import (
    STDIN,
    ArticleError,
    ArticleSource,
    FieldMap,
    InputFormat,
    LoadFailure,
    load_file,
    markdown_to_text,
    outlet_of,
)
from annotator.models import Article

NEWS_PLEASE = {
    "authors": ["Jane Roe"],
    "date_download": "2017-03-15 08:00:00",
    "date_publish": "2017-03-14 12:34:00",
    "description": "A bridge.",
    "language": "en",
    "maintext": "The mayor said the bridge would open in May.",
    "source_domain": "www.nytimes.com",
    "title": "Bridge to open",
    "url": "https://www.nytimes.com/2017/03/14/bridge.html",
}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def articles(items: list[Article | LoadFailure]) -> list[Article]:
    return [item for item in items if isinstance(item, Article)]


def failures(items: list[Article | LoadFailure]) -> list[LoadFailure]:
    return [item for item in items if isinstance(item, LoadFailure)]


# ------------------------------------------------------------------ CSV and TSV


def test_csv_rows_become_articles_with_mapped_fields(tmp_path: Path):
    table = write(tmp_path / "wire.csv", (
        "id,headline,body,link,published\r\n"
        'a1,Bridge,"The mayor said the bridge would open.\r\n\r\nIt will, she said.",https://www.bbc.co.uk/news/1,2025-07-02\r\n'
        "a2,Dam,Officials said the dam held.,,\r\n"
    ))
    fields = FieldMap.parse("body", None, ["title=headline", "url=link", "date=published"])
    loaded = load_file(table, fields=fields)
    assert loaded.failures == []
    first, second = loaded.articles
    assert first.id == "a1" and first.text == "The mayor said the bridge would open.\r\n\r\nIt will, she said."
    assert (first.title, first.url, first.date, first.outlet) == (
        "Bridge", "https://www.bbc.co.uk/news/1", "2025-07-02", "bbc.co.uk")
    assert first.path == f"{table}:2" and second.path == f"{table}:5", "a record is named by the line it starts on"
    assert (second.title, second.url, second.date, second.outlet) == ("Dam", None, None, None)


def test_tsv_without_id_column_numbers_its_rows(tmp_path: Path):
    table = write(tmp_path / "feed.tsv", 'text\ttitle\nA said B.\tOne\n\nC said "D".\tTwo\n')
    loaded = load_file(table)
    assert [(a.id, a.text, a.title) for a in loaded.articles] == [
        ("feed-1", "A said B.", "One"), ("feed-2", 'C said "D".', "Two")]


def test_csv_with_bom_and_default_text_column(tmp_path: Path):
    table = tmp_path / "excel.csv"
    table.write_bytes("\ufeffid,text\nx,Caf\u00e9 owners said prices rose.\n".encode())
    [article] = load_file(table).articles
    assert (article.id, article.text) == ("x", "Caf\u00e9 owners said prices rose.")


def test_csv_cells_longer_than_the_csv_module_default_load(tmp_path: Path):
    long_text = "The minister said the plan works. " * 8000  # 272 KB, over csv's 128 KiB default
    table = tmp_path / "long.csv"
    table.write_text("text\n" + json.dumps(long_text) + "\n", encoding="utf-8")
    [article] = load_file(table).articles
    assert article.text == long_text


# ------------------------------------------------------------------ JSON and JSONL


def test_news_please_records_load_without_any_mapping(tmp_path: Path):
    feed = write(tmp_path / "crawl.jsonl", json.dumps(NEWS_PLEASE) + "\n")
    [article] = load_file(feed).articles
    assert article.text == NEWS_PLEASE["maintext"]
    assert (article.title, article.url, article.date, article.outlet) == (
        "Bridge to open", NEWS_PLEASE["url"], "2017-03-14 12:34:00", "www.nytimes.com")
    assert article.id == "crawl-1"


def test_json_fields_may_be_dotted_paths_into_nested_objects(tmp_path: Path):
    record = {"uid": 17, "source": {"name": "BBC News"}, "content": {"body": "A said B."},
              "publishedAt": "2025-07-02T10:00:00Z"}
    path = write(tmp_path / "newsapi.json", json.dumps([record]))
    fields = FieldMap.parse("content.body", "uid", ["outlet=source.name", "date=publishedAt"])
    [article] = load_file(path, fields=fields).articles
    assert (article.id, article.text, article.outlet, article.date) == ("17", "A said B.", "BBC News",
                                                                        "2025-07-02T10:00:00Z")


def test_an_explicit_text_field_replaces_the_defaults(tmp_path: Path):
    path = write(tmp_path / "r.json", json.dumps({"text": "wrong one", "body": "A said B."}))
    [article] = load_file(path, fields=FieldMap(text="body")).articles
    assert article.text == "A said B."


def test_outlet_comes_from_the_url_host_when_the_input_names_none(tmp_path: Path):
    path = write(tmp_path / "r.json", json.dumps({"text": "A said B.", "url": "https://www.Reuters.com:443/x"}))
    [article] = load_file(path).articles
    assert article.outlet == "reuters.com"
    assert outlet_of("not a url") is None
    assert outlet_of("http://[::1") is None


@pytest.mark.parametrize(
    ("spec", "message"),
    [(["title"], "expected FIELD=NAME"), (["author=byline"], "not one of title, url, date, outlet"),
     (["=x"], "expected FIELD=NAME")],
)
def test_bad_meta_field_specs_are_refused(spec: list[str], message: str):
    with pytest.raises(ArticleError, match=message):
        FieldMap.parse(None, None, spec)


# ------------------------------------------------------------------ Markdown


def test_markdown_markup_never_reaches_the_text():
    source = (
        "# Talks *resume* in Geneva\n\n"
        'The [spokesman](https://x.example/bio "bio") said **"the talks would resume"**, '
        "according to [AFP][1] and <https://afp.example>.\n"
        "A second source line\\\nafter a hard break &amp; an entity.\n\n"
        "![a photo of the lake](lake.jpg)\n\n"
        "> \"We are ready,\" the minister told reporters.\n\n"
        "- first *point*\n- second `point`\n\n"
        "| who | said |\n|---|---|\n| Ana | yes |\n\n"
        "<div class=\"ad\">Inline <b>ad</b> text<script>track()</script></div>\n\n"
        "~~struck~~ words\n\n"
        "[1]: https://afp.example\n"
    )
    text = markdown_to_text(source)
    assert text == (
        "Talks resume in Geneva\n\n"
        'The spokesman said "the talks would resume", according to AFP and https://afp.example. '
        "A second source line\nafter a hard break & an entity.\n\n"
        '"We are ready," the minister told reporters.\n\n'
        "first point\n\nsecond point\n\n"
        "who\tsaid\nAna\tyes\n\n"
        "Inline ad text\n\n"
        "struck words"
    )
    for markup in ("](", "**", "#", "![", "lake.jpg", "<b>", "track()", "[1]"):
        assert markup not in text


def test_markdown_front_matter_gives_id_and_metadata(tmp_path: Path):
    story = write(tmp_path / "story.md", (
        "---\ntitle: 'Talks resume'\ndate: 2025-07-02\nlink: https://www.example-news.com/talks\n---\n"
        "The spokesman said the talks would resume.\n"
    ))
    [article] = load_file(story, fields=FieldMap(meta={"url": "link"})).articles
    assert (article.id, article.title, article.date, article.url, article.outlet) == (
        "story", "Talks resume", "2025-07-02", "https://www.example-news.com/talks", "example-news.com")
    assert article.text == "The spokesman said the talks would resume."


def test_toml_front_matter_and_a_thematic_break_that_is_not_front_matter(tmp_path: Path):
    hugo = write(tmp_path / "hugo.md", '+++\ntitle = "Dam holds"\n+++\nOfficials said the dam held.\n')
    [article] = load_file(hugo).articles
    assert (article.title, article.text) == ("Dam holds", "Officials said the dam held.")
    ruled = write(tmp_path / "ruled.md", "---\nA said B.\n---\nC said D.\n")
    [article] = load_file(ruled).articles
    assert article.title is None and "C said D." in article.text


def test_markdown_offsets_point_into_the_converted_text(tmp_path: Path):
    """Annotated end to end: no speaker or content holds markup, and every offset is in the stored text."""
    import annotator

    story = write(tmp_path / "story.md", (
        "## Mali\n\n[Col. Abdoulaye Maiga](https://x.example/maiga) said **the army had repelled the attack**.\n\n"
        "\"We will not stop,\" [Col. Dembele](https://x.example/d) told *reporters* on Tuesday.\n"
    ))
    [result] = annotator.annotate(story, backend="offline")
    assert result.claims, "the offline backend finds the claims in the converted text"
    assert result.text is not None
    for claim in result.claims:
        for piece in (claim.content, claim.mention, claim.cue):
            assert not {"[", "]", "(", "*", "#"} & set(piece or ""), piece
        assert claim.spans is not None
        for span in claim.spans.content:
            assert result.text[span.start:span.end] in claim.content
    assert all("(" not in s.name and "*" not in s.name for s in result.speakers)


# ------------------------------------------------------------------ HTML


def test_html_metadata_travels_into_the_article(tmp_path: Path):
    body = "<p>" + "The spokesman said the talks would resume next week in Geneva. " * 4 + "</p>"
    page = write(tmp_path / "page.html", (
        "<html><head><title>Talks resume | Example News</title>"
        '<meta property="og:title" content="Talks resume">'
        '<meta property="og:site_name" content="Example News">'
        '<meta property="article:published_time" content="2025-07-02T09:00:00Z">'
        '<link rel="canonical" href="https://www.example-news.com/world/talks">'
        f"</head><body><nav>Home</nav><article>{body}</article><footer>Copyright 2019</footer></body></html>"
    ))
    [article] = load_file(page).articles
    assert (article.title, article.url, article.date, article.outlet) == (
        "Talks resume", "https://www.example-news.com/world/talks", "2025-07-02", "Example News")
    assert "Copyright" not in article.text


def test_html_without_a_site_name_takes_the_outlet_from_its_url(tmp_path: Path):
    body = "<p>" + "The spokesman said the talks would resume next week in Geneva. " * 4 + "</p>"
    page = write(tmp_path / "page.html", (
        '<html><head><link rel="canonical" href="https://www.apnews.com/a/1"></head>'
        f"<body><article>{body}</article></body></html>"
    ))
    [article] = load_file(page).articles
    assert (article.url, article.outlet, article.date) == ("https://www.apnews.com/a/1", "apnews.com", None)


# ------------------------------------------------------------------ standard input


def stdin(data: bytes, form: InputFormat | None = None, fields: FieldMap | None = None) -> list[Article | LoadFailure]:
    source = ArticleSource(STDIN, format=form, fields=fields or FieldMap(), stdin=io.BytesIO(data))
    return list(source.items())


def test_stdin_detects_jsonl_json_html_markdown_and_text():
    jsonl = stdin(b"\n" + json.dumps(NEWS_PLEASE).encode() + b"\n" + b'{"text": "B said C."}\n')
    assert [(a.id, a.path) for a in articles(jsonl)] == [("stdin-2", "<stdin>:2"), ("stdin-3", "<stdin>:3")]
    pretty = stdin(json.dumps({"id": "p", "text": "A said B."}, indent=2).encode())
    assert [a.id for a in articles(pretty)] == ["p"]
    listed = stdin(json.dumps([{"text": "A said B."}, {"text": "C said D."}]).encode())
    assert [a.id for a in articles(listed)] == ["stdin-1", "stdin-2"]
    [md] = articles(stdin(b"---\ntitle: T\n---\nThe [mayor](x) said *so*.\n"))
    assert (md.title, md.text) == ("T", "The mayor said so.")
    [text] = articles(stdin("\ufeffThe mayor said [so].\n".encode()))
    assert (text.id, text.text, text.path) == ("stdin", "The mayor said [so].\n", "<stdin>")
    html = "<html><body><article><p>" + "The spokesman said talks would resume in Geneva. " * 5 + "</p></article>"
    [page] = articles(stdin(html.encode()))
    assert "talks would resume" in page.text


def test_stdin_csv_needs_its_format_named():
    data = b"id,body\nx,The mayor said so.\n"
    [article] = articles(stdin(data, InputFormat.csv, FieldMap(text="body")))
    assert (article.id, article.text, article.path) == ("x", "The mayor said so.", "<stdin>:2")
    [text] = articles(stdin(data))  # undetectable: read as text, as the help says
    assert text.text == data.decode()


def test_stdin_streams_record_by_record():
    """The first article is there before the stream is read to its end."""

    class Feed(io.RawIOBase):
        def __init__(self, lines: list[bytes]) -> None:
            self.lines = lines
            self.served = 0

        def readable(self) -> bool:
            return True

        def readinto(self, target) -> int:  # at most one line per read: a slow producer
            if self.served == len(self.lines):
                return 0
            line = self.lines[self.served]
            size = min(len(target), len(line))
            target[:size] = line[:size]
            if size == len(line):
                self.served += 1
            else:
                self.lines[self.served] = line[size:]
            return size

    lines = [json.dumps({"text": f"Speaker {n} said it."}).encode() + b"\n" for n in range(1000)]
    feed = Feed(lines)
    items = ArticleSource(STDIN, stdin=io.BufferedReader(feed, buffer_size=256)).items()
    first = next(items)
    assert isinstance(first, Article) and first.text == "Speaker 0 said it."
    assert feed.served < 20
    assert len(articles(list(items))) == 999
