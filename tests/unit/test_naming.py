"""Performer names and output file names, shared by the gallery, the catalog and the runner."""

from __future__ import annotations

from videogen_studio.pipeline import naming
from videogen_studio.pipeline.jobs import RenderSpec


def test_friendly_name_is_stable_and_by_gender() -> None:
    assert naming.friendly_name("vg_pres_1", "FEMALE") == naming.friendly_name("vg_pres_1", "FEMALE")
    assert naming.friendly_name("vg_pres_1", "FEMALE") in naming.FIRST_NAMES["FEMALE"]
    assert naming.friendly_name("vg_pres_1", "MALE") in naming.FIRST_NAMES["MALE"]
    assert naming.friendly_name("vg_pres_1", "ROBOT") in naming.FIRST_NAMES["NEUTRAL"]


def test_names_unique_while_the_pool_lasts_and_independent_of_order() -> None:
    items = [(f"vg_pres_{i:03d}", "FEMALE") for i in range(len(naming.FIRST_NAMES["FEMALE"]))]
    names = naming.assign_names(items)
    assert len(set(names.values())) == len(items)
    assert naming.assign_names(reversed(items)) == names
    # Past the pool, names repeat rather than fail.
    more = [*items, ("vg_pres_zzz", "FEMALE")]
    assert len(naming.assign_names(more)) == len(more)


def test_namer_keeps_names_given_on_earlier_pages() -> None:
    namer = naming.PerformerNamer()
    first = namer.name_all([("b", "MALE"), ("a", "MALE")])
    second = namer.name_all([("c", "MALE"), ("a", "MALE")])
    assert second["a"] == first["a"]
    assert second["c"] not in first.values()
    # One batch is the whole-list assignment.
    assert naming.PerformerNamer().name_all([("a", "MALE"), ("b", "MALE")]) == naming.assign_names(
        [("b", "MALE"), ("a", "MALE")]
    )


def test_short_tag_and_label() -> None:
    assert naming.short_tag("vg_pres_ab-12_cd") == "12CD"
    assert naming.short_tag("__") == "?"
    assert naming.display_label("Maya", "vg_pres_x9z1") == "Maya · X9Z1"


def spec(**changes: object) -> RenderSpec:
    base: dict[str, object] = {"presenter_id": "vg_pres_1", "script": "Hello world, this is a test of names."}
    base.update(changes)
    return RenderSpec(**base)  # type: ignore[arg-type]


def test_output_file_name_uses_the_presenter_name_and_first_words() -> None:
    name = naming.output_file_name(spec(presenter_name="Maya"), "abcdef123456")
    assert name == "Maya - Hello world, this is a test - abcdef.mp4"


def test_output_file_name_falls_back_to_the_id() -> None:
    assert naming.output_file_name(spec(script=""), "abcdef").startswith("vg_pres_1 - abcdef")


def test_variations_get_a_suffix() -> None:
    first = naming.output_file_name(spec(presenter_name="Maya"), "abcdef", 0)
    second = naming.output_file_name(spec(presenter_name="Maya"), "abcdef", 1)
    assert first != second and second.endswith(" - abcdef - v2.mp4")


def test_output_file_name_is_safe_everywhere() -> None:
    odd = spec(presenter_name='.A/B:C*"?', script="Say <this> | that\\ now.")
    name = naming.output_file_name(odd, "x" * 10)
    assert not any(ch in name for ch in '<>:"/\\|?*')
    assert not name.startswith(".")
    long = naming.output_file_name(spec(presenter_name="N" * 300, script="word " * 100), "abcdef", 4)
    assert len(long) <= naming.MAX_NAME + 4 and long.endswith("abcdef - v5.mp4")


def test_the_offline_demo_catalog_shows_a_different_first_name_on_every_card() -> None:
    # The first screen a new user sees: 120 sandbox presenters must not read "Adrian, Adrian, …".
    from videogen_studio.sandbox import SandboxConfig
    from videogen_studio.sandbox.catalog import build_presenters

    presenters = build_presenters(SandboxConfig.demo().presenter_count)
    names = naming.assign_names((p.presenter_id, p.gender) for p in presenters)
    assert len(presenters) == 120
    assert len(set(names.values())) == len(presenters)
