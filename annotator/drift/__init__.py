"""The same story across outlets: claims aligned across articles, and what drifted.

Modules, in the order data flows through them: :mod:`loading` (a run or gold folder to
articles with offsets), :mod:`stories` (which articles tell one story; the reference),
:mod:`speakers` (one entity per source across articles; alias files), :mod:`similarity`
and :mod:`alignment` (claims into clusters by optimal assignment), :mod:`changes` with
:mod:`numbers` and :mod:`forces` (the drift per field), :mod:`run` (all of that for a
folder), :mod:`report`, :mod:`excerpts` and :mod:`html` (Markdown and HTML), :mod:`records`
(the JSON shape, shared with the drift gold), :mod:`evaluation` (scores against drift
gold), :mod:`synthetic` (rewrites with a known alignment, for tuning and the benchmark).

The package is ``drift`` rather than ``compare`` so that :func:`annotator.compare`, the
public function, is never shadowed by a submodule of the same name.
"""
