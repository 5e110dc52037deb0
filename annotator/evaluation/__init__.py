"""The eval harness: match predicted claims to gold ones and score every field.

Modules, in the order data flows through them: :mod:`loading` (folders to typed
articles with character spans), :mod:`tokens` (word tokens, the unit of span overlap),
:mod:`matching` (one-to-one assignment per article, several overlap views),
:mod:`fields` (per-pair field comparison, incl. :mod:`cues` lemmas), :mod:`metrics`
(micro aggregates, kappa, confusion, bootstrap), :mod:`harness` (the pipeline of the
above), :mod:`report` (terminal, JSON, Markdown, details), :mod:`thresholds` and
:mod:`regression` (floors and baselines). ``docs/evaluation.md`` explains the numbers.
"""
