import json
from datetime import datetime, timezone

import pytest

from fabula.store import GenerationRecord, Passage, Store, StoreError


@pytest.fixture
def moonfall(store: Store) -> Store:
    project = store.create_project("moonfall", "A lunar mystery.")
    gid = store.log_generation(
        GenerationRecord(
            prompt="One.",
            model="house:en",
            options={"seed": 3},
            outputs=[" Two."],
            started_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
        )
    )
    store.log_generation(
        GenerationRecord(  # another project's row stays out of the export
            prompt="elsewhere",
            model="house:en",
            options={},
            outputs=[],
            started_at=datetime.now(timezone.utc),
        )
    )
    chapter = store.create_document(project, "Chapter 1")
    store.commit_version(chapter, [Passage("Draft.")])
    store.commit_version(
        chapter,
        [
            Passage("One."),
            Passage(" Two.", "generated", model="house:en", params={"seed": 3}, generation_id=gid),
        ],
    )
    store.create_document(project, "Notes", kind="notes")
    return store


def test_markdown_has_the_current_text_of_each_document(moonfall: Store) -> None:
    assert moonfall.export_project("moonfall") == (
        "# moonfall\n\nA lunar mystery.\n\n## Chapter 1\n\nOne. Two.\n\n## Notes\n"
    )


def test_json_has_every_version_with_provenance_and_cited_log_rows(moonfall: Store) -> None:
    data = json.loads(moonfall.export_project("moonfall", fmt="json"))
    assert data["fabula_export"] == 1
    assert data["project"]["name"] == "moonfall"
    chapter, notes = data["documents"]
    assert [v["number"] for v in chapter["versions"]] == [1, 2] and notes["versions"] == []
    generated = chapter["versions"][1]["passages"][1]
    assert (generated["provenance"], generated["model"], generated["params"]) == (
        "generated",
        "house:en",
        {"seed": 3},
    )
    assert [g["prompt"] for g in data["generations"]] == ["One."]
    assert data["generations"][0]["id"] == generated["generation_id"]
    assert data["generations"][0]["started_at"] == "2026-01-01T00:00:00+00:00"


def test_unknown_formats_and_projects_are_refused(moonfall: Store) -> None:
    with pytest.raises(StoreError, match="markdown, json"):
        moonfall.export_project("moonfall", fmt="docx")
    with pytest.raises(StoreError, match="fabula project new nope"):
        moonfall.export_project("nope")
