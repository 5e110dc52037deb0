"""Render the Jinja2 prompt templates and version them by content hash.

A template set is a folder with ``system.j2``, ``user.j2`` and optional
``examples.json`` (few-shot material that must not come from any eval gold). The prompt
version recorded with every output is a hash of all three, so changing a comma in a
template invalidates cached results and shows up in eval comparisons.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

from annotator.models import Article, SpeakerType

TEMPLATE_FILES = ("system.j2", "user.j2")
EXAMPLES_FILE = "examples.json"
RENDERING = b"examples as one-line JSON"
"""How the files are rendered, hashed into the version with them: a change here changes
the prompt as surely as an edit to a template."""


class PromptError(ValueError):
    """A template set that is missing files or does not render."""


@dataclass(frozen=True)
class FewShotExample:
    """An invented article with its expected claims, shown to the model."""

    article: str
    claims_json: str


@dataclass(frozen=True)
class ChatMessage:
    """One message of the chat request."""

    role: str
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


def default_prompt_dir() -> Path:
    """The bundled template set: in a wheel it is packaged, in a checkout it is ``prompts/``."""
    packaged = Path(str(resources.files("annotator"))) / "_prompts" / "default"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "prompts" / "default"


def fence_for(text: str, title: str | None = None) -> str:
    """The marker tag for one piece of untrusted input: a hash of every part of it that
    is rendered inside the markers (without a title, of the text alone)."""
    data = text if not title else f"{title}\0{text}"
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


class PromptSet:
    """A loaded template folder that renders the messages for one article (or piece)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_prompt_dir()
        missing = [n for n in TEMPLATE_FILES if not (self.directory / n).is_file()]
        if missing:
            raise PromptError(f"{self.directory}: missing template file(s) {', '.join(missing)}")
        self._env = Environment(
            loader=FileSystemLoader(self.directory),
            undefined=StrictUndefined,
            keep_trailing_newline=False,
            autoescape=False,
        )
        self.examples = self._load_examples()
        self.version = self._hash()

    def _load_examples(self) -> list[FewShotExample]:
        path = self.directory / EXAMPLES_FILE
        if not path.is_file():
            return []
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            # One line, as a schema grammar makes the model write it: llama.cpp's allows no
            # newline between tokens, so a model shown indented JSON cannot open the list
            # and answers {"claims": []} (measured, docs/local-models.md). Fewer tokens too.
            return [
                FewShotExample(item["article"], json.dumps({"claims": item["claims"]}, ensure_ascii=False))
                for item in raw
            ]
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise PromptError(f"{path}: not a list of {{article, claims}} objects: {error}") from error

    def _hash(self) -> str:
        digest = hashlib.sha256(RENDERING + b"\0")
        for name in (*TEMPLATE_FILES, EXAMPLES_FILE):
            path = self.directory / name
            if path.is_file():
                digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()[:12]

    def render(
        self, article: Article, text: str, piece_number: int = 1, piece_count: int = 1
    ) -> list[ChatMessage]:
        """System and user messages, the article fenced by markers it cannot forge.

        Everything the input supplies (the title as well as the text) is rendered between
        the markers, and the markers embed a hash of all of it, so nothing inside can close
        the data block early and smuggle instructions after it.
        """
        fence = fence_for(text, article.title)
        try:
            system = self._env.get_template("system.j2").render(
                examples=self.examples, speaker_types=[t.value for t in SpeakerType]
            )
            user = self._env.get_template("user.j2").render(
                title=article.title,
                text=text,
                piece_number=piece_number,
                piece_count=piece_count,
                begin_marker=f"<<<ARTICLE {fence}>>>",
                end_marker=f"<<<END ARTICLE {fence}>>>",
            )
        except TemplateError as error:
            raise PromptError(f"{self.directory}: template does not render: {error}") from error
        return [ChatMessage("system", system.strip()), ChatMessage("user", user.strip())]
