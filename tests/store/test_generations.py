from datetime import datetime, timedelta, timezone

import pytest

from fabula.store import GenerationRecord, InvalidRecord, NotFound, Store

T0 = datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=timezone.utc)


def _log(
    store: Store, prompt: str, model: str = "house:en", outputs: list[str] | None = None, **fields
) -> int:
    record = GenerationRecord(
        prompt=prompt, model=model, options={"seed": 1}, outputs=outputs or ["..."], started_at=T0, **fields
    )
    return store.log_generation(record)


def test_a_generation_round_trips(store: Store) -> None:
    project = store.create_project("moonfall")
    gid = store.log_generation(
        GenerationRecord(
            prompt="The sea",
            model="house:en",
            options={"temperature": 0.7, "max_tokens": 8, "stop": ["\n"]},
            outputs=[" was grey", " sang 春"],
            started_at=T0,
            prompt_tokens=2,
            completion_tokens=8,
            ttft_ms=12.5,
            duration_ms=40.25,
            project_id=project.id,
        )
    )
    got = store.get_generation(gid)
    assert got.id == gid and got.project_id == project.id
    assert (got.prompt, got.model, got.outputs) == ("The sea", "house:en", [" was grey", " sang 春"])
    assert got.options == {"temperature": 0.7, "max_tokens": 8, "stop": ["\n"]}
    assert (got.prompt_tokens, got.completion_tokens, got.ttft_ms, got.duration_ms) == (2, 8, 12.5, 40.25)
    assert got.started_at == T0


def test_start_times_are_kept_in_utc(store: Store) -> None:
    paris = timezone(timedelta(hours=1))
    gid = store.log_generation(
        GenerationRecord(prompt="p", model="m", options={}, outputs=[], started_at=T0.astimezone(paris))
    )
    assert store.get_generation(gid).started_at == T0
    assert store.get_generation(gid).started_at.utcoffset() == timedelta(0)


def test_listing_is_newest_first_and_filters(store: Store) -> None:
    moon = store.create_project("moonfall")
    _log(store, "prompt 0", "house:en", ["The Moon rose"])
    _log(store, "prompt 1", "hf:gpt2", ["a 100% true_story"])
    _log(store, "prompt 2", "house:en-small", ['she said "hi"\nand left'], project_id=moon.id)
    _log(store, "prompt 3", "house", ["bare spec"])

    def prompts(**filters) -> list[str]:
        return [r.prompt for r in store.list_generations(**filters)]

    assert prompts() == ["prompt 3", "prompt 2", "prompt 1", "prompt 0"]
    assert prompts(limit=2) == ["prompt 3", "prompt 2"]
    assert prompts(model="house:en") == ["prompt 0"]
    assert prompts(model="house") == ["prompt 3", "prompt 2", "prompt 0"]  # a backend name covers its specs
    assert prompts(search="moon") == ["prompt 0"]  # case does not matter
    assert prompts(search="PROMPT 1") == ["prompt 1"]
    assert prompts(search="100%") == ["prompt 1"] and prompts(search="0%") == ["prompt 1"]
    assert prompts(search="0_") == [] and prompts(search="e_s") == ["prompt 1"]  # `_` is no wildcard
    assert prompts(search='said "hi"\nand') == ["prompt 2"]  # quotes and newlines inside outputs
    assert prompts(project="moonfall") == ["prompt 2"] == prompts(project=moon.id)
    assert prompts(model="house", search="bare") == ["prompt 3"]
    with pytest.raises(InvalidRecord, match="at least 1"):
        store.list_generations(limit=0)


def test_unknown_generations_and_projects_say_what_to_do(store: Store) -> None:
    with pytest.raises(NotFound, match="`fabula log`"):
        store.get_generation(99)
    with pytest.raises(NotFound, match="No project named '7'"):
        _log(store, "p", project_id=7)
    assert store.list_generations() == []
    with pytest.raises(InvalidRecord, match="model spec"):
        GenerationRecord(prompt="p", model="", options={}, outputs=[], started_at=T0)
