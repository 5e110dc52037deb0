"""Cue lemmas: "said", "says" and "as saying" are one cue; "told" is another.

The scheme compares cues by the lemma of their head word. No NLP model may be
downloaded at run time, so this is a small deterministic lemmatiser: skip auxiliaries,
modals and adverbs to the head word, look it up in a table of irregular forms, else
strip an inflection and prefer the candidate stem that is a known reporting verb
("described" -> "describe", not "describ"; "added" -> "add", not "ad"). A word outside
the table still gets a stable stem, and since gold and prediction pass through the
same function, the same word in two inflections lands on the same key.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_CONTRACTION = re.compile(r"^\s*'(?:s|re|ve|ll|d|m)\b")
"""A contracted auxiliary opening a cue: PolNeAR writes "’s predicting" for "he’s
predicting", whose head is "predicting" as in "is predicting"."""

SKIP = frozenset(
    """a an the as to also not n't never has have had having is was were are am be been
    being will would shall should can could may might must do does did then later
    previously again already repeatedly further just recently publicly privately
    explicitly reportedly allegedly initially first once still""".split()
)
"""Words before the head of a cue: "has learned", "would later say", "as saying"."""

IRREGULAR = {
    "said": "say", "says": "say", "saying": "say",
    "told": "tell", "tells": "tell", "telling": "tell",
    "wrote": "write", "written": "write", "writes": "write", "writing": "write",
    "thought": "think", "thinks": "think", "thinking": "think",
    "knew": "know", "known": "know", "knows": "know",
    "spoke": "speak", "spoken": "speak", "speaks": "speak",
    "felt": "feel", "held": "hold", "found": "find", "heard": "hear", "meant": "mean",
    "gave": "give", "given": "give", "made": "make", "saw": "see", "seen": "see",
    "taught": "teach", "brought": "bring", "began": "begin", "begun": "begin",
    "came": "come", "foresaw": "foresee", "foreseen": "foresee", "forgot": "forget",
    "led": "lead", "left": "leave", "became": "become", "chose": "choose",
    "chosen": "choose", "swore": "swear", "sworn": "swear", "understood": "understand",
    "went": "go", "gone": "go", "got": "get", "gotten": "get", "took": "take",
    "taken": "take", "shown": "show", "sought": "seek", "stood": "stand",
    "struck": "strike", "withdrew": "withdraw", "withdrawn": "withdraw", "bet": "bet",
    "forecast": "forecast", "put": "put", "set": "set", "read": "read", "let": "let",
    "according": "accord", "accords": "accord", "quoth": "say",
}

KNOWN = frozenset(
    """say tell state add note claim warn describe announce report confirm reveal show
    acknowledge point insist allege argue suggest explain write tweet post admit deny
    reply respond declare predict estimate believe think expect fear hope worry accuse
    urge call ask answer agree disagree complain concede contend assert maintain stress
    emphasize emphasise caution threaten promise pledge vow decide indicate mention recall
    remark observe comment recount testify inform disclose publish release quote cite
    accord attribute blame criticize criticise condemn praise welcome question dispute
    reject refuse dismiss doubt learn find discover conclude determine hint imply
    speculate guess assume suppose anticipate forecast project calculate figure hold feel
    know understand recognize recognise realize realise consider regard see view judge
    reckon wonder speak talk discuss debate address proclaim boast brag joke quip muse
    lament regret apologize apologise thank congratulate demand order instruct advise
    recommend propose offer plead beg appeal request require signal voice express raise
    share convey relay depict portray characterize characterise label brand term dub
    name clarify elaborate specify detail outline summarize summarise continue vote
    pronounce repeat reiterate underline underscore highlight acknowledge affirm reaffirm
    certify verify prove demonstrate establish document list cite blast slam attack
    defend counter rebut retort protest object oppose support endorse back favor favour
    accept admit own concur echo tout hail celebrate mock ridicule dismiss decry deplore
    charge suspect estimate gauge measure count tally poll survey rate rank score
    insinuate theorize theorise posit hypothesize hypothesise notify alert remind
    confide whisper shout yell scream exclaim cry sigh mutter murmur groan grumble""".split()
) | frozenset(IRREGULAR.values())

_VOWELS = frozenset("aeiou")


def head_word(cue: str) -> str:
    """The word of a cue that carries its meaning: the first one that is not in :data:`SKIP`.

    "has learned" -> "learned", "as saying" -> "saying", "according to" -> "according",
    "claimed responsibility" -> "claimed", "’s hoping" -> "hoping". A cue made only of
    skipped words keeps its last.
    """
    words = _WORD.findall(_CONTRACTION.sub("", cue.lower().replace("\u2019", "'")))
    for word in words:
        if word not in SKIP:
            return word
    return words[-1] if words else ""


def lemma(word: str) -> str:
    """The lemma of one English verb form (or the noun itself: "warning" -> "warn")."""
    word = word.lower()
    if word in IRREGULAR:
        return IRREGULAR[word]
    if word in KNOWN:
        return word
    candidates = _candidates(word)
    for candidate in candidates:
        if candidate in KNOWN:
            return candidate
    return candidates[0] if candidates else word


@lru_cache(maxsize=4096)
def cue_lemma(cue: str | None) -> str | None:
    """The key cues are compared by; ``None`` for a missing cue."""
    if cue is None or not cue.strip():
        return None
    return lemma(head_word(cue))


def _candidates(word: str) -> list[str]:
    """Possible stems, best unknown-word guess first."""
    if len(word) > 4 and word.endswith(("ies", "ied")):
        return [word[:-3] + "y"]
    if len(word) > 4 and word.endswith("ing") and _VOWELS & set(word[:-3]):
        return _stems(word[:-3])
    if len(word) > 3 and word.endswith("ed"):
        return [*_stems(word[:-2]), word[:-1]]
    if len(word) > 3 and word.endswith("es"):
        sibilant = word[:-2].endswith(("s", "x", "z", "ch", "sh", "o"))
        return [word[:-2], word[:-1]] if sibilant else [word[:-1], word[:-2]]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return [word[:-1]]
    return []


def _stems(stem: str) -> list[str]:
    """Stem guesses after removing "-ing"/"-ed": undoubled, as is, with "e" restored."""
    doubled = len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in _VOWELS | set("lsz")
    guesses = [stem[:-1]] if doubled else []
    guesses += [stem, stem + "e"]
    return guesses
