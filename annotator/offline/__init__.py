"""Deterministic offline backend: attributed claims without a model endpoint or network.

Two small CRFs trained on PolNeAR train (cue tagging, then source/content tagging per
cue) plus rules for what the corpus does not label: speaker resolution, ``via``,
quote type, hedging and stance. See :mod:`annotator.offline.backend`.
"""
