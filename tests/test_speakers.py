"""Speaker names: one entity per source, aliases as noun phrases only."""

from annotator.models import SpeakerType
from annotator.speakers import SpeakerRegistry, is_pronoun, normalise_name, same_source, slug


def test_normalise_name_drops_titles_accents_and_punctuation():
    assert normalise_name("Col. Souleymane Dembélé") == "souleymane dembele"
    assert normalise_name("Gen Michael Langley") == normalise_name("michael langley")
    assert normalise_name("Mali's army") == "mali army"


def test_surname_on_second_mention_is_the_same_source_but_other_people_are_not():
    assert same_source("Dembele", "Souleymane Dembele")
    assert not same_source("Michael Langley", "Souleymane Dembele")
    # a bare generic noun is not merged by suffix: "the army" may be another army
    assert not same_source("the army", "Mali's army")


def test_registry_merges_names_and_keeps_pronouns_out_of_aliases():
    registry = SpeakerRegistry()
    first = registry.resolve("Souleymane Dembele", SpeakerType.person, "army spokesperson Souleymane Dembele")
    second = registry.resolve("Col Dembele", SpeakerType.person, "He")
    other = registry.resolve("Michael Langley", SpeakerType.person, "Gen Michael Langley")
    assert first == second != other
    dembele = registry.speakers[0]
    assert dembele.name == "Souleymane Dembele"
    assert "Col Dembele" in dembele.aliases and "He" not in dembele.aliases
    assert is_pronoun("He") and not is_pronoun("Col Dembele")


def test_longer_name_becomes_the_entity_name_and_ids_stay_unique():
    registry = SpeakerRegistry()
    registry.resolve("Dembele", SpeakerType.person, "Dembele")
    registry.resolve("Souleymane Dembele", SpeakerType.person, "Souleymane Dembele")
    assert registry.speakers[0].name == "Souleymane Dembele"
    assert registry.speakers[0].aliases == ["Dembele"]
    a = registry.resolve("A resident", SpeakerType.anonymous, "One resident")
    b = registry.resolve("A resident", SpeakerType.person, "A resident")
    assert a != b and slug("A resident") == "a-resident"


def test_a_name_that_is_only_a_title_stays_one_entity():
    """"The mayor" normalised to "" once, so it matched nothing and every claim of the
    mayor became a new entity (the-mayor, the-mayor-2, ...)."""
    assert normalise_name("The minister") == "minister" and normalise_name("the former president") == "former president"
    registry = SpeakerRegistry()
    first = registry.resolve("The mayor", SpeakerType.anonymous, "The mayor")
    second = registry.resolve("the mayor", SpeakerType.anonymous, "the mayor")
    assert first == second and len(registry.speakers) == 1


def test_finding_an_entity_compares_only_its_namesakes(monkeypatch):
    """Each name is compared with entities that end in the same word, not with every
    entity so far: 2,000 distinct sources cost about 2,000 comparisons, not 2 million."""
    import annotator.speakers as module

    calls = 0
    real = module.same_source

    def counting(a: str, b: str) -> bool:
        nonlocal calls
        calls += 1
        return real(a, b)

    monkeypatch.setattr(module, "same_source", counting)
    registry = module.SpeakerRegistry()
    for n in range(2000):
        registry.resolve(f"Official Number{n}", SpeakerType.person, f"Official Number{n}")
    assert len(registry.speakers) == 2000 and calls < 10 * 2000
