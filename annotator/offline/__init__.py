"""Deterministic offline backend: attributed claims with no model endpoint and no network.

Pipeline of one article (:class:`annotator.offline.backend.OfflineBackend`):

1. :mod:`sentences`, :mod:`quotes`, :mod:`document`: regex tokens with offsets,
   sentences, paragraphs, paired quotation marks (curly, straight, over paragraphs).
2. :mod:`reported_speech`: a cue CRF tags reporting words sentence by sentence; a
   span CRF, run once per cue over a window around it, tags that cue's source and
   content. Both are read through marginals (thresholds tuned on a train hold-out).
   :mod:`features` builds their features from words, distributional word clusters
   (:mod:`clusters`, PolNeAR train text) and the position relative to the cue.
3. :mod:`rules`: quotes signed with a dash, "quoted X as saying".
4. :mod:`scheme`: the annotation scheme's own rules (source trimmed to the name,
   "claimed responsibility", clause split, no claims for actions and intentions).
5. :mod:`speakers`, :mod:`via`, :mod:`hedging_stance`: fullest names, pronoun and
   "the group" resolution, intermediaries, hedging and stance from :mod:`lexicon`.

The CRFs and clusters are trained on PolNeAR train only and shipped in ``models/``;
``python -m annotator.offline.train --polnear ../shared/polnear`` rebuilds them
byte for byte.
"""
