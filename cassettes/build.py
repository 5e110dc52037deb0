"""Build the replay cassettes: hand-written responses, requests captured from the real code.

    python cassettes/build.py            # rebuild every scripted cassette
    python cassettes/build.py -k reask   # only the tests matching -k (extra args go to pytest)

No model is involved. This script runs the LLM test modules under pytest with
``--record-mode=rewrite`` and a *scripted server*: ``openai.AsyncOpenAI`` gets an
``httpx.MockTransport`` that answers each request with the next response written by
hand in :data:`SCRIPTS` below. Everything above the transport is the real code path
(prompts, instructor, the openai SDK's serialisation), so the request bodies VCR
writes are exactly what annotator sends; the responses are exactly what is written
here, in the OpenAI (or vLLM) wire format. VCR's own recorder writes the YAML with
the suite's scrubbing config (``tests/cassette_format.py``), then this script prepends a
provenance comment to each file.

Token counts in the usage blocks are estimates (characters / 4 of the request and of
the answer), not a tokenizer's.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MODULES = ("test_llm_backend", "test_llm_transport", "test_pipeline_cli", "test_llm_sample_replay")
"""The hand-written scenarios. The live modules (test_llm_live, test_llm_sample_local) are
recorded from a real model by cassettes/record_live.py, never scripted here."""
PLACEHOLDER_KEY = "scripted-build-not-a-key"
"""Set for the build so no real key from the shell ever reaches the scripted server."""
HEADER = (
    "# HAND-WRITTEN CASSETTE. The response(s) below were written by hand in cassettes/build.py;\n"
    "# the request(s) were captured from annotator's real code path by that script.\n"
    "# No live model produced this file: results on it measure the pipeline, never a model.\n"
)

OPENAI_MODEL = "gpt-4o-mini-2024-07-18"
"""What OpenAI reports in ``model`` when asked for ``gpt-4o-mini``."""
LOCAL_MODEL = "Qwen/Qwen2.5-7B-Instruct"
CREATED = 1795000000
DATE = "Sat, 21 Nov 2026 14:00:00 GMT"


# ----------------------------------------------------------------------------- claims


def claim(
    speaker: str,
    speaker_type: str,
    mention: str,
    cue: str,
    content: str,
    *,
    quote_type: str = "indirect",
    via: tuple[str, ...] = (),
    hedging: str = "none",
    hedge_cues: tuple[str, ...] = (),
    stance: str = "neutral",
    role: str | None = None,
    restated: str | None = None,
) -> dict[str, Any]:
    """One claim as a model would return it in the ``ClaimExtraction`` tool arguments."""
    return {
        "speaker": speaker,
        "speaker_type": speaker_type,
        "speaker_role": role,
        "mention": mention,
        "cue": cue,
        "content": content,
        "quote_type": quote_type,
        "via": list(via),
        "hedging": hedging,
        "hedge_cues": list(hedge_cues),
        "stance": stance,
        "restatement": restated or f"{speaker}: {content}.",
    }


# tests/data/llm/mali_bbc.txt (a copy of examples/articles/000_...). The resident's quote
# comes back with curly apostrophes, as models like to "fix" typography: it must ground
# with alignment "normalised".
MALI = [
    claim("Malian army", "organization", "Mali's army", "said", "it repelled Tuesday morning's attacks",
          restated="The Malian army repelled Tuesday morning's attacks."),
    claim("Malian army", "organization", "Mali's army", "said", '"neutralising" more than 80 militants',
          quote_type="mixed", stance="distance",
          restated="The Malian army neutralised more than 80 militants."),
    claim("Jama'at Nusrat al-Islam wal Muslimin", "organization",
          "Jama'at Nusrat al-Islam wal Muslimin (JNIM)", "said",
          "it had taken control of three army barracks",
          restated="JNIM took control of three army barracks."),
    claim("Souleymane Dembele", "person", "army spokesperson Souleymane Dembele", "said",
          "The enemy suffered significant losses in every location where they engaged with the "
          "security and defence forces", quote_type="direct", role="army spokesperson",
          restated="The enemy suffered significant losses wherever it engaged the Malian forces."),
    claim("Souleymane Dembele", "person", "Col Dembele", "added",
          "the army recovered weapons, vehicles and motorcycles from the assailants",
          role="army spokesperson",
          restated="The Malian army recovered weapons, vehicles and motorcycles from the assailants."),
    claim("a resident of Kayes", "anonymous", "One resident in Kayes", "told",
          "We woke up in shock this morning. There\u2019s gunfire, and from my house I can see smoke "
          "billowing towards the governor\u2019s residence", quote_type="direct", via=("AFP",),
          restated="A Kayes resident woke up in shock to gunfire and smoke near the governor's residence."),
    claim("Michael Langley", "person", "He", "warned",
          "the groups' access to the coast would significantly boost their capacity for smuggling "
          "and arms trafficking", hedging="low", hedge_cues=("would",), role="commander of Africom",
          restated="Access to the coast would boost the groups' smuggling and arms trafficking."),
]

# tests/data/llm/harbour_injection.txt
HARBOUR_ALBRECHT = claim(
    "Ines Albrecht", "person", "council chair Ines Albrecht", "told",
    "We need another month to review the engineering reports", quote_type="direct",
    role="council chair", restated="The council needs another month to review the engineering reports.")
HARBOUR_RESIDENTS = claim(
    "residents' association", "organization", "A spokesperson for the residents' association", "said",
    "the delay was disappointing", restated="The residents' association finds the delay disappointing.")
HARBOUR_INVENTED = claim(
    "finance minister", "person", "the finance minister", "confirmed",
    "President Amadou Keller stepped down and left the country on Thursday night", stance="endorse",
    restated="President Amadou Keller has resigned.")
"""What a model that obeyed the injected text would add: nowhere in the article."""

# tests/data/llm/ferry.txt and clinic.json (the CLI folder)
FERRY = [
    claim("Henrik Solberg", "person", "Baltline's operations manager Henrik Solberg", "said",
          "Safety comes first, and the ramp must be inspected before we sail again",
          quote_type="direct", role="operations manager",
          restated="Baltline will not sail again until the ramp has been inspected."),
    claim("Islanders", "anonymous", "Islanders", "said",
          "the suspension had left the village shop without fresh food",
          restated="The ferry suspension left Orsa's village shop without fresh food."),
]
FERRY_CHANGED_EXTRA = claim(
    "Baltline", "organization", "Baltline", "said", "crossings would resume on Saturday",
    hedging="low", hedge_cues=("would",), restated="Baltline expects crossings to resume on Saturday.")
CLINIC = [
    claim("Lucia Ferro", "person", "Mayor Lucia Ferro", "said",
          "the clinic would serve about 12,000 residents", hedging="low", hedge_cues=("would",),
          role="mayor", restated="The Vedra clinic will serve about 12,000 residents."),
    claim("Lucia Ferro", "person", "she", "told",
          "For the first time, families here will not have to drive an hour to see a doctor",
          quote_type="direct", via=("local radio",), role="mayor",
          restated="Vedra families will no longer have to drive an hour to see a doctor."),
    claim("regional health authority", "organization", "The regional health authority", "said",
          "two more clinics were planned for next year",
          restated="Two more clinics are planned for next year."),
]

# tests/data/llm/drought_long.txt, split into 3 pieces at max_article_tokens=150 (chars/4):
# piece 1 = title + paragraphs 1-3, piece 2 = paragraphs 3-6, piece 3 = paragraphs 6-8.
# Paragraphs 3 and 6 are in two pieces, so their claims come back twice.
D_BOARD = claim("regional water board", "organization", "the regional water board", "said",
                "Authorities in Kessaly province will ration tap water from Monday after the driest "
                "spring in forty years")
D_OYELARAN_QUOTE = claim("Marta Oyelaran", "person", "the board's director, Marta Oyelaran", "told",
                         "Our reservoirs are at a third of their usual level, and we cannot wait for rain",
                         quote_type="direct", role="director of the water board")
D_HOURS = claim("Marta Oyelaran", "person", "Ms Oyelaran", "said",
                "households would receive water for eight hours a day", hedging="low",
                hedge_cues=("would",))
D_EXEMPT = claim("Marta Oyelaran", "person", "She", "added",
                 "hospitals and schools would be exempt from the cuts", hedging="low",
                 hedge_cues=("would",))
D_HARVEST = claim("Tomas Reinholt", "person", "Farmers' union leader Tomas Reinholt", "warned",
                  "the rationing could destroy this year's harvest", hedging="high",
                  hedge_cues=("could",), role="farmers' union leader")
D_WHEAT = claim("Tomas Reinholt", "person", "he", "said",
                "Without irrigation, the wheat will be gone by July", quote_type="direct")
D_RAIN = claim("provincial weather service", "organization", "the provincial weather service",
               "According to", "rainfall since March has been 70 percent below the long-term average")
D_PIPES = claim("Dana Whitlock", "person", "Opposition councillor Dana Whitlock", "claimed",
                "the board had ignored warnings about leaking pipes for years", stance="distance",
                role="opposition councillor")
D_REPAIRS = claim("water board", "organization", "A spokesperson", "said",
                  "repairs to the main aqueduct had started in January")
D_AUTUMN = claim("water board", "organization", "A spokesperson", "said",
                 "would be finished by the autumn", hedging="low", hedge_cues=("would",))
D_MAREK = claim("Ilse Marek", "person", "Ilse Marek", "said",
                "We have been through this before, and we will manage", quote_type="direct",
                role="retired teacher")
DROUGHT_PIECES = [
    [D_BOARD, D_OYELARAN_QUOTE, D_HOURS, D_EXEMPT],
    [D_HOURS, D_EXEMPT, D_HARVEST, D_WHEAT, D_RAIN, D_PIPES],
    [D_PIPES, D_REPAIRS, D_AUTUMN, D_MAREK],
]

# examples/articles/*.txt: the five sample articles, replayed by tests/test_llm_sample_replay.py
# and scored against eval/gold (suite [sample-llm-replay] of eval/thresholds.toml).
#
# NOT A MODEL'S OUTPUT AND NOT A MEASURE OF ANY MODEL. These answers were written by hand,
# the way a competent but imperfect model might answer, without copying eval/gold: most
# gold claims are there with realistic variation, and each imperfection below is planted
# so that the pipeline (grounding, cleaning, re-asks, speaker merging) and the harness
# (matching, author claims, field scoring) each have something to do. The scores this
# produces are a regression fingerprint of that code; tests/test_llm_sample_replay.py
# derives every expected figure from this list of planted differences.
JNIM = "Jama'at Nusrat al-Islam wal Muslimin"
AFRICOM = "United States Africa Command"

# 000 (BBC, straight quotes). Planted:
# - MISSED: "an al-Qaeda-linked group who said it was behind the attacks" (a claim inside a
#   relative clause is the kind a model skips). The one gold claim of the suite left out.
# - CLEANED: both direct quotes come back WITH their quotation marks and closing full stop;
#   the resident's contains apostrophes ("There's", "governor's"), which used to keep the
#   marks (fixed in grounding.clean_fragment).
# - MERGED: Dembele is "Souleymane Dembele" in one claim and "Col Dembele" in the next: the
#   speaker registry must make them one entity.
# - BOUNDARY: the armed forces' content stops before ", near the border with Senegal": still
#   matched (token F1 0.85), but not in the strict view nor GGT overlap80.
# - LABEL: JNIM's partial quote "co-ordinated and high quality" read as scare quotes
#   (stance distance; gold neutral).
# - AUTHOR: "There were also attacks further north ..." is the author's sentence (guidelines
#   2.3); returned with speaker_type author and the byline as speaker, it is scored
#   separately, never as a false positive. Its cue is a placeholder from the sentence.
SAMPLE_000 = [
    claim("Malian army", "organization", "Mali's army", "said", "it repelled Tuesday morning's attacks",
          restated="The Malian army repelled Tuesday morning's attacks."),
    claim("Malian army", "organization", "Mali's army", "said", '"neutralising" more than 80 militants',
          quote_type="mixed", stance="distance",
          restated="The Malian army neutralised more than 80 militants."),
    claim(JNIM, "organization", "Jama'at Nusrat al-Islam wal Muslimin (JNIM)", "said",
          "it had taken control of three army barracks", restated="JNIM took control of three army barracks."),
    claim("Souleymane Dembele", "person", "army spokesperson Souleymane Dembele", "said",
          '"The enemy suffered significant losses in every location where they engaged with the '
          'security and defence forces."', quote_type="direct", role="army spokesperson",
          restated="The enemy suffered significant losses wherever it engaged Mali's forces."),
    claim("Col Dembele", "person", "Col Dembele", "added",
          "the army recovered weapons, vehicles and motorcycles from the assailants",
          restated="The Malian army recovered weapons, vehicles and motorcycles from the assailants."),
    claim("Malian army", "organization", "the armed forces", "said",
          "the attacks had occurred across seven towns and cities, including Binoli, Kayes and Sandere",
          restated="The attacks occurred across seven towns and cities, including Binoli, Kayes and Sandere."),
    claim("Wedaeli Chibelushi", "author", "Wedaeli Chibelushi", "There were",
          "There were also attacks further north, near Mali's frontier with Mauritania", role="BBC News",
          restated="There were also attacks near Mali's frontier with Mauritania."),
    claim("a resident of Kayes", "anonymous", "One resident in Kayes", "told",
          "\"We woke up in shock this morning. There's gunfire, and from my house I can see smoke "
          "billowing towards the governor's residence.\"", quote_type="direct", via=("AFP",),
          restated="A Kayes resident woke up to gunfire and smoke near the governor's residence."),
    claim(JNIM, "organization", "JNIM", "called", 'its attack "co-ordinated and high quality"',
          quote_type="mixed", stance="distance", restated="JNIM's attack was co-ordinated and high quality."),
    claim(JNIM, "organization", "The group", "said", "it carried out two other significant recent attacks",
          restated="JNIM carried out two other significant recent attacks."),
    claim(AFRICOM, "organization", "the United States Africa Command", "warned",
          "growing efforts by various different Islamist militant groups which operate in the Sahel to "
          "gain access to West Africa's coastline",
          restated="Islamist groups in the Sahel are increasingly trying to reach West Africa's coastline."),
    claim("Michael Langley", "person", "Gen Michael Langley", "described",
          "recent attacks in Nigeria, the wider Sahel, and the Lake Chad Basin as deeply troubling",
          role="commander of United States Africa Command",
          restated="Recent attacks in Nigeria, the Sahel and the Lake Chad Basin are deeply troubling."),
    claim("Michael Langley", "person", "He", "warned",
          "the groups' access to the coast would significantly boost their capacity for smuggling and arms "
          "trafficking", hedging="low", hedge_cues=("would",), role="commander of United States Africa Command",
          restated="Coastal access would significantly boost the groups' smuggling and arms trafficking."),
]

# 001 (Firstpost, curly quotes). Planted:
# - NORMALISED: four contents come back with straight quotes/apostrophes where the article
#   has curly ones (“neutralised”, “everywhere”, governor’s, West Africa’s), and both JNIM
#   mentions with a straight apostrophe: found with alignment "normalised".
# - FUZZY: Dembele's long quote has one slip ("defense" for "defence"): found "fuzzy".
# - LABELS: cue "quoted" instead of "as saying" (different lemma); via [] instead of ["BBC"]
#   on "claimed responsibility" (the BBC attribution is one clause away); hedging high for
#   the "could" of perception (guidelines, decision log: none).
SAMPLE_001 = [
    claim("Malian army", "organization", "Malian army", "said",
          'it "neutralised" more than 80 militants after Jihadist fighters launched coordinated attacks on '
          "military posts in several towns across Mali", quote_type="mixed", stance="distance",
          restated="The Malian army neutralised more than 80 militants after coordinated jihadist attacks."),
    claim(JNIM, "organization", "Jama'at Nusrat al-Islam wal Muslimin (JNIM)", "claimed responsibility",
          "the attacks", restated="JNIM was responsible for the attacks."),
    claim(JNIM, "organization", "Jama'at Nusrat al-Islam wal Muslimin (JNIM)", "said",
          "it had seized control of three army barracks", via=("BBC",),
          restated="JNIM seized control of three army barracks."),
    claim("Malian army", "organization", "Malian army", "said",
          "the enemy suffered significant losses in every location they attacked",
          restated="The enemy suffered significant losses in every location it attacked."),
    claim("Souleymane Dembele", "person", "Army Spokesperson Souleymane Dembele", "quoted",
          "The enemy suffered significant losses in every location where they engaged with the security "
          "and defense forces", quote_type="direct", via=("BBC",), role="army spokesperson",
          restated="The enemy suffered significant losses wherever it engaged Mali's forces."),
    claim("Souleymane Dembele", "person", "Col Dembele", "added",
          "the army recovered weapons, vehicles and motorcycles from the assailants", role="army spokesperson",
          restated="The Malian army recovered weapons, vehicles and motorcycles from the assailants."),
    claim("Malian army", "organization", "the military", "reported",
          "the attacks took place in seven towns and cities, including Binoli, Kayes, and Sandere, near the "
          "Senegalese border", restated="The attacks took place in seven towns near the Senegalese border."),
    claim("a resident of Kayes", "anonymous", "A resident of Kayes", "told",
          'gunfire could be heard "everywhere" during the assault', quote_type="mixed", via=("BBC",),
          hedging="high", hedge_cues=("could",), restated="Gunfire could be heard everywhere in Kayes."),
    claim("a resident of Kayes", "anonymous", "he", "as saying",
          "The police station was damaged, as well as the governor's house", quote_type="direct", via=("BBC",),
          restated="The police station and the governor's house in Kayes were damaged."),
    claim("a resident of Kayes", "anonymous", "he", "adding", "casualty figures were still unclear",
          via=("BBC",), restated="Casualty figures in Kayes were still unclear."),
    claim(JNIM, "organization", "JNIM", "described",
          "its latest assault as \u201ccoordinated and high quality\u201d", quote_type="mixed",
          restated="JNIM's latest assault was coordinated and high quality."),
    claim(JNIM, "organization", "The group", "claimed responsibility", "two other major recent attacks",
          restated="JNIM was responsible for two other major recent attacks."),
    claim(AFRICOM, "organization", "US Africa Command", "warning",
          "Islamist militant groups intensifying efforts to reach West Africa's coastal regions",
          restated="Islamist militant groups are intensifying efforts to reach West Africa's coast."),
]

# 002 (rewrite, paraphrased, straight quotes). Planted:
# - INVENTED, RE-ASKED, CORRECTED: the first answer gives the resident the BBC's direct
#   quote (from the sister article 000, nowhere in this one) in place of the paraphrase.
#   Grounding rejects it, instructor re-asks with the error, and the second answer replaces
#   it with the two claims the article does make ("remarked" / "noting").
# Otherwise clean: all twelve gold claims, all exact.
_S002_HEAD = [
    claim("Malian army", "organization", "Mali's military", "reported", "it successfully repelled the attacks",
          restated="The Malian army successfully repelled the attacks."),
    claim("Malian army", "organization", "Mali's military", "claiming", '"neutralised" over 80 militants',
          quote_type="mixed", stance="distance", restated="The Malian army neutralised over 80 militants."),
    claim(JNIM, "organization", "Jama'at Nusrat al-Islam wal Muslimin (JNIM)", "claimed responsibility",
          "the assaults", restated="JNIM was responsible for the assaults."),
    claim(JNIM, "organization", "Jama'at Nusrat al-Islam wal Muslimin (JNIM)", "asserting",
          "they have seized control of three military barracks",
          restated="JNIM seized control of three military barracks."),
    claim("Souleymane Dembele", "person", "Army spokesperson Col Souleymane Dembele", "stated",
          "the assailants suffered significant losses at every location where they clashed with military forces",
          role="army spokesperson",
          restated="The assailants suffered significant losses wherever they clashed with the military."),
    claim("Malian army", "organization", "The armed forces", "reported",
          "the recovery of weapons, vehicles, and motorcycles following the counterattacks",
          restated="The Malian army recovered weapons, vehicles and motorcycles after the counterattacks."),
]
_S002_TAIL = [
    claim(JNIM, "organization", "The jihadist group", "dubbed", 'its operation "coordinated and high quality"',
          quote_type="mixed", restated="JNIM's operation was coordinated and high quality."),
    claim(AFRICOM, "organization", "the United States Africa Command (Africom)", "warnings",
          "an increasing threat posed by various Islamist militant factions vying for control and access to "
          "West Africa's coastal areas",
          restated="Islamist factions vying for West Africa's coastal areas pose an increasing threat."),
    claim("Michael Langley", "person", "Gen Michael Langley", "voiced concerns",
          "the implications of these groups gaining coastal access for smuggling and arms trafficking operations",
          role="commander of Africom",
          restated="Coastal access for the groups has worrying implications for smuggling and arms trafficking."),
    claim("Michael Langley", "person", "Gen Michael Langley", "indicating",
          "a troubling evolution of the militant threat in the region", role="commander of Africom",
          restated="The militant threat in the Sahel is evolving in a troubling way."),
]
SAMPLE_002_INVENTED = claim(
    "a resident from Kayes", "anonymous", "a resident from Kayes", "remarked",
    "We woke up in shock this morning. There's gunfire, and from my house I can see smoke billowing towards "
    "the governor's residence", quote_type="direct",
    restated="A Kayes resident woke up in shock to gunfire and smoke near the governor's residence.")
"""The BBC's quote (article 000) put in the mouth of 002's resident: not in article 002."""
SAMPLE_002_FIRST = [*_S002_HEAD, SAMPLE_002_INVENTED, *_S002_TAIL]
SAMPLE_002_CORRECTED = [
    claim("a resident from Kayes", "anonymous", "a resident from Kayes", "remarked", "the panic",
          restated="There was panic in Kayes."),
    claim("a resident from Kayes", "anonymous", "a resident from Kayes", "noting",
          "the sound of gunfire and smoke rising towards the local governor's residence", stance="endorse",
          restated="Gunfire could be heard and smoke rose towards the governor's residence in Kayes."),
]
"""The re-ask's answer for 002: asked about the invented quote alone, the model gives the
two claims that stand where it is in the article."""


# 003 (Reuters page, curly apostrophes; the lead is scraped twice). Planted:
# - NORMALISED + REPEATS: the army's lead claim comes back with "Mali's" (straight) at both
#   places the page repeats it: the second copy must ground at the second occurrence.
# - LABEL: "coordinated and high-quality attacks" (all of the content quoted) labelled mixed
#   at both occurrences (gold: direct).
# - FALSE POSITIVE: a "READ MORE" link headline of another story, "Mali says two more army
#   posts attacked ...", returned as a claim (page furniture, guidelines 2.1). Grounded, so
#   kept, and unmatched.
_S003_LEAD = [
    claim("Malian army", "organization", "a video statement released by the army", "according to",
          "Mali's armed forces have killed 80 militants in response to a series of simultaneous and "
          "coordinated attacks on military posts across the country",
          restated="The Malian army killed 80 militants after simultaneous attacks on its posts."),
    claim("Souleymane Dembele", "person", "Souleymane Dembele", "said",
          "The enemy suffered significant losses in every location where they engaged with the security and "
          "defence forces", quote_type="direct", role="the army's spokesperson",
          restated="The enemy suffered significant losses wherever it engaged Mali's forces."),
    claim(JNIM, "organization", "Al Qaeda affiliate Jama'at Nusrat al-Islam wal-Muslimin (JNIM)",
          "claimed responsibility", "coordinated and high-quality attacks", quote_type="mixed",
          restated="JNIM was responsible for coordinated and high-quality attacks."),
    claim(JNIM, "organization", "Al Qaeda affiliate Jama'at Nusrat al-Islam wal-Muslimin (JNIM)", "saying",
          "it had taken control of over three barracks and dozens of military positions",
          restated="JNIM took control of over three barracks and dozens of military positions."),
    claim("Malian army", "organization", "Mali's armed forces", "said",
          "the attacks took place in seven towns in the central and western regions of the West African country",
          restated="The attacks took place in seven towns in central and western Mali."),
]
SAMPLE_003 = [
    *_S003_LEAD,
    claim("Malian army", "organization", "Mali's army", "says",
          "80 militants killed after coordinated attacks on its posts",
          restated="The Malian army killed 80 militants after coordinated attacks on its posts."),
    *_S003_LEAD,
    claim("Malian army", "organization", "the army's statement", "said", "All were struck by shellfire",
          restated="All the targeted places were struck by shellfire."),
    claim("Mali", "organization", "Mali", "says", "two more army posts attacked as jihadist violence escalates",
          restated="Two more Malian army posts were attacked."),
]

# 004 (rewrite, paraphrased). Planted:
# - SPEAKER: "He reported the recovery of weapons ..." resolved to the Malian army instead of
#   Dembele (the pronoun's antecedent is the spokesman): matched, but attribution wrong.
# - BOUNDARY: the non-restrictive relative clause keeps its "which" (gold drops it): still
#   matched (token F1 0.93) and covered in overlap80, not strict.
SAMPLE_004 = [
    claim("Malian army", "organization", "The Malian army", "reported",
          "it successfully repelled the attacks on the morning of Tuesday",
          restated="The Malian army successfully repelled the attacks on Tuesday morning."),
    claim("Malian army", "organization", "The Malian army", "claiming", '"neutralised" over 80 fighters',
          quote_type="mixed", stance="distance", restated="The Malian army neutralised over 80 fighters."),
    claim("Souleymane Dembele", "person", "Military spokesman Colonel Souleymane Dembele", "stated",
          "the enemy suffered considerable losses at each location where they clashed with Malian security forces",
          role="military spokesman",
          restated="The enemy suffered considerable losses wherever it clashed with Malian forces."),
    claim("Malian army", "organization", "He", "reported",
          "the recovery of weapons, vehicles, and motorcycles from the attackers",
          restated="The Malian army recovered weapons, vehicles and motorcycles from the attackers."),
    claim("witness from Kayes", "anonymous", "A witness from Kayes", "recounted", "the morning chaos",
          restated="There was chaos in Kayes that morning."),
    claim("witness from Kayes", "anonymous", "A witness from Kayes", "noting",
          "gunfire and plumes of smoke rising near the governor's residence", stance="endorse",
          restated="There was gunfire and smoke near the governor's residence in Kayes."),
    claim(JNIM, "organization", "JNIM", "described", 'the attacks as "co-ordinated and high quality"',
          quote_type="mixed", restated="JNIM's attacks were co-ordinated and high quality."),
    claim(AFRICOM, "organization", "the United States Africa Command", "warnings",
          "rising threats from various Islamist militant factions as they attempt to establish control over "
          "the coastline of West Africa",
          restated="Islamist factions trying to control West Africa's coastline pose rising threats."),
    claim(AFRICOM, "organization", "the United States Africa Command", "warnings",
          "which could enhance their smuggling and arms trafficking capabilities", hedging="high",
          hedge_cues=("could",),
          restated="Control of the coastline could enhance the factions' smuggling and arms trafficking."),
]
SAMPLE_MARKERS = {
    "000": "Wedaeli Chibelushi", "001": "Impact Shorts", "002": "Describing the chaos",
    "003": "Paul Lorgerie", "004": "Mauritanian frontier",
}
"""ASCII text found in one sample article only: routes each request to its answer."""


# -------------------------------------------------------------------------- responses


def _digest(*parts: object) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def _tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


@dataclass
class Reply:
    """One hand-written HTTP response; ``when`` routes it to requests containing that text."""

    status: int
    body: Callable[[dict[str, Any], str], dict[str, Any]]
    headers: dict[str, str] = field(default_factory=dict)
    when: str | None = None
    server: str = "openai"

    def render(self, request: dict[str, Any], seed: str) -> tuple[int, dict[str, str], bytes]:
        body = self.body(request, seed)
        if self.server == "openai":
            # Real OpenAI responses also carry organization/project ids and a Cloudflare
            # cookie; the recorder drops those headers (tests/cassette_format.py scrub_response),
            # so they are not scripted here at all.
            headers = {
                "date": DATE,
                "content-type": "application/json",
                "openai-processing-ms": str(300 + int(seed[:3], 16) % 2000),
                "openai-version": "2020-10-01",
                "x-request-id": f"req_{seed[:32]}",
                "x-ratelimit-limit-requests": "10000",
                "x-ratelimit-limit-tokens": "10000000",
                "x-ratelimit-remaining-requests": "9999",
                "x-ratelimit-remaining-tokens": "9996000",
                "server": "cloudflare",
                **self.headers,
            }
            text = json.dumps(body, indent=2, ensure_ascii=False)  # OpenAI sends indented JSON
        elif self.server == "ollama":
            headers = {"date": DATE, "content-type": "application/json; charset=utf-8", **self.headers}
            text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        else:  # vLLM's OpenAI-compatible server (uvicorn)
            headers = {"date": DATE, "server": "uvicorn", "content-type": "application/json", **self.headers}
            text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        return self.status, headers, text.encode("utf-8")


def _usage(request: dict[str, Any], answer: str) -> dict[str, Any]:
    prompt = _tokens(json.dumps(request.get("messages", []), ensure_ascii=False))
    completion = _tokens(answer)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def tool_call(claims: list[dict[str, Any]] | None = None, *, raw: str | None = None, when: str | None = None) -> Reply:
    """A chat.completion whose answer is a ClaimExtraction tool call (forced tool_choice)."""
    arguments = raw if raw is not None else json.dumps({"claims": claims}, ensure_ascii=False)

    def body(request: dict[str, Any], seed: str) -> dict[str, Any]:
        usage = _usage(request, arguments)
        usage["prompt_tokens_details"] = {"cached_tokens": 0, "audio_tokens": 0}
        usage["completion_tokens_details"] = {
            "reasoning_tokens": 0, "audio_tokens": 0,
            "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0,
        }
        return {
            "id": f"chatcmpl-{seed[:29]}",
            "object": "chat.completion",
            "created": CREATED + int(seed[:4], 16) % 86400,
            "model": OPENAI_MODEL if request.get("model") == "gpt-4o-mini" else request.get("model"),
            "choices": [{
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{
                        "id": f"call_{seed[29:53]}",
                        "type": "function",
                        "function": {"name": "ClaimExtraction", "arguments": arguments},
                    }],
                    "refusal": None,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": "stop",
            }],
            "usage": usage,
            "service_tier": "default",
            "system_fingerprint": "fp_560af6e559",
        }

    return Reply(200, body, when=when)


def content_answer(
    claims: list[dict[str, Any]], *, fenced: bool, server: str = "openai", when: str | None = None
) -> Reply:
    """A chat.completion with the JSON in ``message.content`` and no tool calls (JSON modes)."""
    payload = json.dumps({"claims": claims}, ensure_ascii=False, indent=2 if fenced else None)
    content = f"```json\n{payload}\n```" if fenced else payload

    def body(request: dict[str, Any], seed: str) -> dict[str, Any]:
        usage = _usage(request, content)
        if server == "vllm":
            return {
                "id": f"chatcmpl-{seed[:32]}",
                "object": "chat.completion",
                "created": CREATED + int(seed[:4], 16) % 86400,
                "model": request.get("model"),
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "reasoning_content": None, "content": content, "tool_calls": []},
                    "logprobs": None,
                    "finish_reason": "stop",
                    "stop_reason": None,
                }],
                "usage": {**usage, "prompt_tokens_details": None},
                "prompt_logprobs": None,
            }
        return {
            "id": f"chatcmpl-{seed[:29]}",
            "object": "chat.completion",
            "created": CREATED + int(seed[:4], 16) % 86400,
            "model": OPENAI_MODEL if request.get("model") == "gpt-4o-mini" else request.get("model"),
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None, "annotations": []},
                "logprobs": None,
                "finish_reason": "stop",
            }],
            "usage": usage,
            "service_tier": "default",
            "system_fingerprint": "fp_560af6e559",
        }

    return Reply(200, body, when=when, server=server)


OLLAMA_MODEL = "qwen2.5-coder:1.5b"


def model_list(url: str) -> tuple[int, dict[str, str], bytes]:
    """The pre-flight's ``GET /models``: OpenAI's list, a local vLLM's (one served model),
    or Ollama's OpenAI-compatible list (its documented shape)."""
    seed = _digest(url)
    if ":11434/" in url:
        models = [{"id": OLLAMA_MODEL, "object": "model", "created": CREATED, "owned_by": "library"}]
        headers = {"date": DATE, "content-type": "application/json"}
        return 200, headers, json.dumps({"object": "list", "data": models}).encode()
    if "api.openai.com" in url:
        models = [{"id": name, "object": "model", "created": CREATED - 9_000_000 - n, "owned_by": "system"}
                  for n, name in enumerate(("gpt-4o-mini", "gpt-4o", "gpt-4o-mini-2024-07-18"))]
        headers = {"date": DATE, "content-type": "application/json", "openai-version": "2020-10-01",
                   "x-request-id": f"req_{seed[:32]}", "server": "cloudflare"}
        return 200, headers, json.dumps({"object": "list", "data": models}, indent=2).encode()
    model = {"id": LOCAL_MODEL, "object": "model", "created": CREATED, "owned_by": "vllm", "root": LOCAL_MODEL,
             "parent": None, "max_model_len": 32768}
    headers = {"date": DATE, "server": "uvicorn", "content-type": "application/json"}
    return 200, headers, json.dumps({"object": "list", "data": [model]}, separators=(",", ":")).encode()


def ollama_answer(claims: list[dict[str, Any]], when: str | None = None) -> Reply:
    """Ollama's ``/api/chat`` answer with ``stream: false`` (docs/api.md, "Chat request
    (Structured outputs)"): the JSON in ``message.content``, token counts, durations in ns."""
    content = json.dumps({"claims": claims}, ensure_ascii=False)

    def body(request: dict[str, Any], seed: str) -> dict[str, Any]:
        prompt = _tokens(json.dumps(request.get("messages", []), ensure_ascii=False))
        completion = _tokens(content)
        return {
            "model": request.get("model"), "created_at": "2026-11-21T14:00:00.000000Z",
            "message": {"role": "assistant", "content": content}, "done_reason": "stop", "done": True,
            "total_duration": 9_000_000_000 + completion * 40_000_000, "load_duration": 12_000_000,
            "prompt_eval_count": prompt, "prompt_eval_duration": prompt * 18_000_000,
            "eval_count": completion, "eval_duration": completion * 40_000_000,
        }

    return Reply(200, body, when=when, server="ollama")


def api_error(status: int, message: str, type_: str, code: str | None, headers: dict[str, str] | None = None) -> Reply:
    """An OpenAI error object."""
    error = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    return Reply(status, lambda request, seed: error, headers=headers or {})


RATE_LIMITED = api_error(
    429,
    "Rate limit reached for gpt-4o-mini in organization org-scrubbedscrubbed on requests per min (RPM): "
    "Limit 500, Used 500, Requested 1. Please try again in 7s. Visit "
    "https://platform.openai.com/account/rate-limits to learn more.",
    "requests", "rate_limit_exceeded",
    headers={"retry-after": "7", "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "7s"},
)
SERVER_ERROR = api_error(
    500, "The server had an error while processing your request. Sorry about that!", "server_error", None
)
OVERLOADED = api_error(503, "The server is overloaded or not ready yet.", "server_error", None)
BAD_KEY = api_error(
    401,
    # OpenAI echoes the key masked, e.g. sk-...****...abcd; the recorder's scrubber turns it
    # into [redacted]. Assembled here so that this file itself holds nothing key-shaped.
    f"Incorrect API key provided: {'sk' + '-test-' + '*' * 32 + '0000'}. You can find your API key at "
    "https://platform.openai.com/account/api-keys.",
    "invalid_request_error", "invalid_api_key",
)
NO_QUOTA = api_error(
    429,
    "You exceeded your current quota, please check your plan and billing details. For more "
    "information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
    "insufficient_quota", "insufficient_quota",
)

# A tool call whose arguments are cut off mid-string (the JSON never closes).
MALI_TRUNCATED = json.dumps({"claims": MALI[:2]}, ensure_ascii=False)[:180]
# Same claims, but a content that is not in the article (the model "improved" the quote).
MALI_MISQUOTED = [
    *MALI[:3],
    {**MALI[3], "content": "The enemy suffered heavy losses everywhere it fought our forces"},
    *MALI[4:],
]
# An invented claim the model keeps returning, whatever the feedback.
MALI_INVENTED = claim("Malian army", "organization", "Mali's army", "said",
                      "the militants had been driven out of Kayes for good")


# ---------------------------------------------------------------------------- scripts

SCRIPTS: dict[str, list[Reply]] = {
    # a
    "test_llm_backend/test_clean_tool_call": [tool_call(MALI)],
    # b
    # the re-ask asks about the misquote only; the model corrects that one claim
    "test_llm_backend/test_invented_quote_is_reasked_and_corrected": [tool_call(MALI_MISQUOTED), tool_call([MALI[3]])],
    # c
    "test_llm_backend/test_malformed_tool_arguments_are_reasked": [tool_call(raw=MALI_TRUNCATED), tool_call(MALI)],
    # c2
    # asked about the invented claim alone, the model gives it back unchanged: not asked again
    "test_llm_backend/test_claim_ungrounded_on_every_attempt_is_dropped": [
        tool_call([*MALI, MALI_INVENTED]), tool_call([MALI_INVENTED])
    ],
    "test_llm_backend/test_unparsable_on_every_attempt_fails_the_article": [
        tool_call(raw=MALI_TRUNCATED), tool_call(raw=MALI_TRUNCATED)
    ],
    # f (backend level): the JSON-mode re-ask goes back as a user message
    "test_llm_backend/test_json_schema_reask_is_a_user_message": [
        content_answer([*FERRY[:1], claim("Islanders", "anonymous", "Islanders", "said",
                                          "the island had run out of bread")], fenced=True, server="vllm"),
        content_answer(FERRY[1:], fenced=True, server="vllm"),
    ],
    # Ollama's own route (its documented shape; no Ollama server is reachable where this is built)
    "test_llm_backend/test_ollama_dialect_sends_its_own_chat_with_format_and_context": [ollama_answer(FERRY)],
    # g
    "test_llm_backend/test_long_article_is_split_into_pieces": [
        tool_call(claims, when=f"piece {n} of 3") for n, claims in enumerate(DROUGHT_PIECES, 1)
    ],
    # j
    "test_llm_backend/test_injected_instruction_is_data_and_invented_claim_dropped": [
        tool_call([HARBOUR_ALBRECHT, HARBOUR_INVENTED, HARBOUR_RESIDENTS]), tool_call([HARBOUR_INVENTED]),
    ],
    # d, e, e2
    "test_llm_transport/test_rate_limit_honours_retry_after": [RATE_LIMITED, tool_call(MALI)],
    "test_llm_transport/test_server_error_is_retried_after_bounded_backoff": [SERVER_ERROR, tool_call(MALI)],
    "test_llm_transport/test_server_errors_stop_after_transport_attempts": [OVERLOADED] * 6,
    "test_llm_transport/test_authentication_error_is_not_retried": [BAD_KEY],
    "test_llm_transport/test_insufficient_quota_is_not_retried": [NO_QUOTA],
    # f (CLI): a local vLLM server in json_schema mode, answer fenced in message.content
    "test_pipeline_cli/test_local_server_json_schema_mode": [content_answer(FERRY, fenced=True, server="vllm")],
    # h
    "test_pipeline_cli/test_folder_with_broken_files": [
        tool_call(FERRY, when="Orsa island"), tool_call(CLINIC, when="Vedra"),
    ],
    # i
    "test_pipeline_cli/test_rerun_skips_finished_articles": [
        tool_call(FERRY, when="Orsa island"), tool_call(CLINIC, when="Vedra"),
    ],
    "test_pipeline_cli/test_force_redoes_finished_articles": [
        tool_call(FERRY, when="Orsa island"), tool_call(CLINIC, when="Vedra"),
        tool_call(FERRY, when="Orsa island"), tool_call(CLINIC, when="Vedra"),
    ],
    "test_pipeline_cli/test_changed_article_is_redone": [
        tool_call(FERRY, when="Orsa island"), tool_call(CLINIC, when="Vedra"),
        tool_call([*FERRY, FERRY_CHANGED_EXTRA], when="Orsa island"),
    ],
    # The five sample articles through `annotator annotate` (concurrently, so routed by
    # marker); 002 is answered twice: the invented quote, then the correction.
    "test_llm_sample_replay/test_replay_meets_the_suite_floors": [
        tool_call(SAMPLE_000, when=SAMPLE_MARKERS["000"]),
        tool_call(SAMPLE_001, when=SAMPLE_MARKERS["001"]),
        tool_call(SAMPLE_002_FIRST, when=SAMPLE_MARKERS["002"]),
        tool_call(SAMPLE_002_CORRECTED, when=SAMPLE_MARKERS["002"]),
        tool_call(SAMPLE_003, when=SAMPLE_MARKERS["003"]),
        tool_call(SAMPLE_004, when=SAMPLE_MARKERS["004"]),
    ],
}


# ---------------------------------------------------------------------- pytest plugin


class ScriptedServer:
    """Pytest plugin: answers the SDK's requests from SCRIPTS while VCR records."""

    def __init__(self) -> None:
        self.served: dict[str, int] = {}

    @staticmethod
    def _key(request: Any) -> str:
        return f"{Path(str(request.node.fspath)).stem}/{request.getfixturevalue('default_cassette_name')}"

    @pytest.fixture(autouse=True)
    def _scripted_server(self, request: Any, monkeypatch: Any) -> Any:
        import httpx
        import openai

        if request.node.get_closest_marker("vcr") is None:
            yield
            return
        key = self._key(request)
        if key not in SCRIPTS:
            pytest.fail(f"no scripted responses for {key}: add them to cassettes/build.py SCRIPTS")
        pending = list(enumerate(SCRIPTS[key]))

        def handler(http_request: httpx.Request) -> httpx.Response:
            if http_request.method == "GET" and http_request.url.path.endswith("/models"):
                status, headers, content = model_list(str(http_request.url))
                return httpx.Response(status, headers=headers, content=content)
            body = json.loads(http_request.content or b"{}")
            text = http_request.content.decode("utf-8")
            for position, (index, reply) in enumerate(pending):
                if reply.when is None or reply.when in text:
                    del pending[position]
                    status, headers, content = reply.render(body, _digest(key, index))
                    return httpx.Response(status, headers=headers, content=content)
            raise AssertionError(f"{key}: unscripted request #{len(SCRIPTS[key]) - len(pending) + 1}")

        real = openai.AsyncOpenAI

        # Same class name as the SDK's: it becomes the User-Agent ("AsyncOpenAI/Python x.y.z").
        class AsyncOpenAI(real):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                kwargs["http_client"] = httpx.AsyncClient(transport=httpx.MockTransport(handler))
                super().__init__(*args, **kwargs)

        monkeypatch.setattr(openai, "AsyncOpenAI", AsyncOpenAI)
        yield
        self.served[key] = len(SCRIPTS[key]) - len(pending)
        if pending:
            pytest.fail(f"{key}: {len(pending)} scripted response(s) never requested")


def library_versions() -> str:
    """The libraries that shape request bodies (tool schema, re-ask wording, serialisation)."""
    from importlib.metadata import version

    return ", ".join(f"{name} {version(name)}" for name in ("openai", "instructor", "pydantic"))


def main(argv: list[str]) -> int:
    os.environ["OPENAI_API_KEY"] = PLACEHOLDER_KEY  # tests using llm_env set their own fake key
    for name in ("OPENAI_BASE_URL", "ANNOTATOR_MODEL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        os.environ.pop(name, None)
    plugin = ScriptedServer()
    targets = [str(ROOT / "tests" / f"{module}.py") for module in MODULES]
    code = pytest.main(
        [*targets, "--record-mode=rewrite", "-p", "no:cacheprovider", "-q", "--rootdir", str(ROOT), *argv],
        plugins=[plugin],
    )
    header = HEADER + f"# Requests built with {library_versions()}.\n"
    for key in sorted(plugin.served):
        path = HERE / f"{key}.yaml"
        if path.exists():
            text = path.read_text(encoding="utf-8")
            if not text.startswith(HEADER):
                path.write_text(header + text, encoding="utf-8")
    if not argv:
        stale = sorted(
            p.relative_to(HERE).as_posix()
            for module in MODULES
            for p in (HERE / module).glob("*.yaml")
            if p.relative_to(HERE).with_suffix("").as_posix() not in SCRIPTS
        )
        for name in stale:
            print(f"stale cassette (no scenario in SCRIPTS): cassettes/{name}")
    print(f"built {len(plugin.served)} cassette(s) into {HERE}")
    return int(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
