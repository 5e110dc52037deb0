"""Every output of the harness: metrics.json, details JSONL, Markdown and terminal tables.

``metrics.json`` nests one object per metric group (``{"claims": {"f1": ...}}``) so a
metric has a dotted name (``claims.f1``, ``hedging.kappa``, ``views.overlap30.f1``):
the names ``--fail-under``, ``eval/thresholds.toml`` and ``--baseline`` use.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import RenderableType
from rich.table import Table

from annotator.evaluation.details import DetailRecord
from annotator.evaluation.fields import Field, PreparedClaim
from annotator.evaluation.harness import Evaluation
from annotator.evaluation.metrics import Confusion, FieldScore, Metrics, Rate, ViewScore
from annotator.terminal import plain

SCHEMA_VERSION = 1
_SKIP_IN_SCALARS = frozenset({"schema_version", "per_article", "items", "notes", "confusion", "f1_ci"})


def metrics_json(evaluation: Evaluation) -> dict[str, Any]:
    """The ``--json`` document."""
    m = evaluation.metrics
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "gold": str(evaluation.gold_dir),
        "predictions": str(evaluation.pred_dir),
        "speaker_rule": evaluation.speaker_rule.value,
        "articles": m.articles,
        "claims": _rate(m.claims),
        "attribution": _rate(m.attribution),
    }
    for score in m.fields:
        data[score.field.value] = _field(score)
    data["views"] = {
        v.name: {
            "description": v.description,
            "precision": v.precision,
            "recall": v.recall,
            "f1": v.f1,
            "matched": v.matched,
            "speaker_accuracy": v.speaker_accuracy,
        }
        for v in m.views
    }
    data["content_tokens"] = _rate(m.content_tokens)
    data["author"] = {"predicted": m.author_predicted, "overlapping_gold": m.author_overlapping_gold}
    data["per_article"] = [asdict(a) for a in m.per_article]
    data["items"] = [
        {
            "article": i.article,
            "gold": i.gold_index,
            "content": i.content,
            "right": list(i.right),
            "wrong": list(i.wrong),
        }
        for i in m.items
    ]
    data["notes"] = list(m.notes)
    return data


def _rate(rate: Rate) -> dict[str, Any]:
    out = asdict(rate)
    out["f1_ci"] = list(rate.f1_ci) if rate.f1_ci else None
    return out


def _field(score: FieldScore) -> dict[str, Any]:
    out: dict[str, Any] = {"accuracy": score.accuracy, "n": score.n, "correct": score.correct}
    if score.field is Field.hedging:
        out["kappa"] = score.kappa
    if score.field is Field.stance:
        out["macro_f1"] = score.macro_f1
    if score.confusion is not None:
        c = score.confusion
        out["confusion"] = {"labels": list(c.labels), "columns": list(c.columns), "matrix": [list(r) for r in c.matrix]}
    return out


def scalar_metrics(data: dict[str, Any], prefix: str = "") -> dict[str, float | None]:
    """Dotted name -> number (or null) for every scalar metric of a metrics.json document."""
    out: dict[str, float | None] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if key in _SKIP_IN_SCALARS:
            continue
        if isinstance(value, dict):
            out.update(scalar_metrics(value, f"{name}."))
        elif value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            out[name] = value
    return out


def detail_records(evaluation: Evaluation) -> Iterator[DetailRecord]:
    """matched / missed (gold only) / spurious (prediction only) / author, per article."""
    for match in evaluation.matches:
        paired_gold = {p.gold.index for p in match.pairs}
        paired_pred = {p.pred.index for p in match.pairs}
        for pair in match.pairs:
            differs = [o.field.value for o in pair.fields if o.correct is False]
            yield DetailRecord(match.article, "matched", pair.gold.index, pair.pred.index,
                               round(pair.score, 4), differs, _claim(pair.gold), _claim(pair.pred))
        for claim in match.gold:
            if claim.index not in paired_gold:
                yield DetailRecord(match.article, "missed", claim.index, None, None, [], _claim(claim), None)
        for claim in match.pred:
            if claim.index not in paired_pred:
                yield DetailRecord(match.article, "spurious", None, claim.index, None, [], None, _claim(claim))
        for claim in match.author:
            yield DetailRecord(match.article, "author", None, claim.index, None, [], None, _claim(claim))


def _claim(prepared: PreparedClaim) -> dict[str, Any]:
    out = prepared.claim.model_dump(mode="json", exclude={"spans", "restatement"})
    out["speaker_name"] = prepared.speaker_name
    spans = prepared.claim.spans
    if spans is not None and spans.content:
        out["start"], out["end"] = spans.content[0].start, spans.content[-1].end
    return out


def write_details(path: Path, evaluation: Evaluation) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in detail_records(evaluation):
            handle.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")


def fmt(value: float | None) -> str:
    """Three decimals, or an em dash for a metric nothing was there to score."""
    return "—" if value is None else f"{value:.3f}"


def _view_row(v: ViewScore) -> tuple[str, ...]:
    """One matching view as a table row, the same in the terminal and in Markdown."""
    return (v.name, v.description, fmt(v.precision), fmt(v.recall), fmt(v.f1), str(v.matched), fmt(v.speaker_accuracy))


def _ci(rate: Rate) -> str:
    return "—" if rate.f1_ci is None else f"[{rate.f1_ci[0]:.3f}, {rate.f1_ci[1]:.3f}]"


def summary_rows(m: Metrics) -> list[tuple[str, str, str, str]]:
    """(metric, value, 95% CI, n) rows shared by the terminal and Markdown summaries."""
    rows = [
        ("claims precision", fmt(m.claims.precision), "", f"{m.claims.matched}/{m.claims.predicted}"),
        ("claims recall", fmt(m.claims.recall), "", f"{m.claims.matched}/{m.claims.gold}"),
        ("claims F1", fmt(m.claims.f1), _ci(m.claims), ""),
        ("attribution F1", fmt(m.attribution.f1), _ci(m.attribution), f"{m.attribution.matched} right"),
    ]
    for score in m.fields:
        rows.append((f"{score.field.value} accuracy", fmt(score.accuracy), "", f"{score.correct}/{score.n}"))
        if score.field is Field.hedging:
            rows.append(("hedging kappa (quadratic)", fmt(score.kappa), "", ""))
        if score.field is Field.stance:
            rows.append(("stance macro-F1", fmt(score.macro_f1), "", ""))
    rows.append(("content tokens F1 (Citron-style)", fmt(m.content_tokens.f1), "", ""))
    author = ("author claims (scored apart)", str(m.author_predicted), "", f"{m.author_overlapping_gold} overlap gold")
    rows.append(author)
    return rows


def terminal(evaluation: Evaluation, max_articles: int = 20) -> list[RenderableType]:
    """Rich tables: summary, matching views, confusion matrices, per-article lines."""
    m = evaluation.metrics
    counts = f"{m.claims.gold} gold / {m.claims.predicted} predicted claims"
    summary = Table(title=f"Evaluation: {m.articles} articles, {counts}")
    for column in ("metric", "value", "95% CI", "n"):
        summary.add_column(column, justify="left" if column == "metric" else "right")
    for row in summary_rows(m):
        summary.add_row(*row)
    views = Table(title="Matching views")
    views.add_column("view")
    views.add_column("a pair counts when", overflow="fold")
    for column in ("P", "R", "F1", "matched", "speaker acc."):
        views.add_column(column, justify="right")
    for v in m.views:
        views.add_row(*_view_row(v))
    out: list[RenderableType] = [summary, views]
    for score in m.fields:
        if score.confusion is not None:
            out.append(_confusion_table(score.field.value, score.confusion))
    out.append(_articles_table(m, max_articles))
    return out


def _confusion_table(name: str, confusion: Confusion) -> Table:
    table = Table(title=f"{name}: gold (rows) x predicted (columns)")
    table.add_column("gold")
    for column in confusion.columns:
        table.add_column(column, justify="right")
    for label, row in zip(confusion.labels, confusion.matrix, strict=True):
        table.add_row(label, *(str(x) for x in row))
    return table


def _articles_table(m: Metrics, limit: int) -> Table:
    ranked = sorted(m.per_article, key=lambda a: (a.f1 if a.f1 is not None else 2.0, a.article))
    shown = ranked[:limit]
    title = "Per article" if len(shown) == len(ranked) else f"Per article: the {limit} lowest F1 of {len(ranked)}"
    table = Table(title=title)
    table.add_column("article", overflow="fold")
    for column in ("gold", "pred", "author", "matched", "P", "R", "F1", "attr. F1"):
        table.add_column(column, justify="right")
    for a in shown:
        table.add_row(plain(a.article), str(a.gold), str(a.predicted), str(a.author), str(a.matched),
                      fmt(a.precision), fmt(a.recall), fmt(a.f1), fmt(a.attribution_f1))
    return table


def markdown(evaluation: Evaluation, extra: list[str] | None = None, max_rows: int = 50) -> str:
    """The ``--report`` document; ``extra`` appends sections (baseline comparison)."""
    m = evaluation.metrics
    lines = [
        "# Evaluation report",
        "",
        f"- gold: `{evaluation.gold_dir}`",
        f"- predictions: `{evaluation.pred_dir}`",
        f"- articles: {m.articles}; gold claims: {m.claims.gold}; predicted claims: {m.claims.predicted}"
        f" (+{m.author_predicted} author claims, scored apart)",
        f"- speaker rule: {evaluation.speaker_rule.value}",
        "",
        "## Summary",
        "",
        *_md_table(("metric", "value", "95% CI", "n"), summary_rows(m)),
        "",
        "## Matching views",
        "",
        *_md_table(
            ("view", "definition", "P", "R", "F1", "matched", "speaker acc."),
            [_view_row(v) for v in m.views],
        ),
    ]
    for score in m.fields:
        if score.confusion is not None:
            c = score.confusion
            lines += ["", f"## {score.field.value}: gold (rows) x predicted (columns)", ""]
            rows = [(label, *map(str, row)) for label, row in zip(c.labels, c.matrix, strict=True)]
            lines += _md_table(("gold", *c.columns), rows)
    lines += ["", "## Per article", ""]
    lines += _md_table(
        ("article", "gold", "pred", "author", "matched", "P", "R", "F1", "attr. F1"),
        [(a.article, str(a.gold), str(a.predicted), str(a.author), str(a.matched), fmt(a.precision),
          fmt(a.recall), fmt(a.f1), fmt(a.attribution_f1)) for a in m.per_article],
    )
    lines += ["", f"## Differences (first {max_rows})", ""]
    lines += _md_table(("article", "kind", "gold", "predicted", "differs"), _difference_rows(evaluation, max_rows))
    if m.notes:
        lines += ["", "## Notes", "", *(f"- {note}" for note in m.notes)]
    for section in extra or []:
        lines += ["", section]
    return "\n".join(lines) + "\n"


def _difference_rows(evaluation: Evaluation, limit: int) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for record in detail_records(evaluation):
        if record.kind == "matched" and not record.differs:
            continue
        changes = ", ".join(_change(field, record.gold, record.pred) for field in record.differs)
        rows.append((record.article, record.kind, _short(record.gold), _short(record.pred), changes))
        if len(rows) >= limit:
            break
    return rows


def _change(field: str, gold: dict[str, Any] | None, pred: dict[str, Any] | None) -> str:
    """``hedging: none -> low``; the speaker by its entity name."""
    key = "speaker_name" if field == "speaker" else field
    return f"{field}: {(gold or {}).get(key)} -> {(pred or {}).get(key)}"


def _short(claim: dict[str, Any] | None) -> str:
    if claim is None:
        return ""
    content = claim["content"] if len(claim["content"]) <= 60 else claim["content"][:57] + "..."
    return f"{claim['speaker_name']}: {content}"


def _md_table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    def cell(value: str) -> str:
        return value.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines
