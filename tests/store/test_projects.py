import pytest

from fabula.store import AlreadyExists, InvalidRecord, NotFound, Store


def test_projects_are_listed_in_creation_order(store: Store) -> None:
    store.create_project("moonfall", description="a lunar mystery")
    store.create_project("tides")
    assert [(p.name, p.description) for p in store.list_projects()] == [
        ("moonfall", "a lunar mystery"),
        ("tides", ""),
    ]


def test_a_project_is_found_by_name_or_id(store: Store) -> None:
    moon = store.create_project("moonfall")
    assert store.get_project("moonfall") == moon
    assert store.get_project(moon.id) == moon
    assert store.get_project(str(moon.id)) == moon  # as typed on the command line
    assert store.get_project(moon) == moon
    assert moon.created_at.tzinfo is not None


def test_a_name_made_of_digits_wins_over_an_id(store: Store) -> None:
    first = store.create_project("first")
    named = store.create_project(str(first.id))
    assert store.get_project(str(first.id)) == named
    assert store.get_project(first.id) == first


def test_unknown_and_duplicate_projects_say_what_to_do(store: Store) -> None:
    store.create_project("moonfall")
    with pytest.raises(AlreadyExists, match="fabula project show moonfall"):
        store.create_project("moonfall")
    with pytest.raises(NotFound, match=r"`fabula project list`.*`fabula project new sunrise`"):
        store.get_project("sunrise")
    with pytest.raises(InvalidRecord, match="needs a name"):
        store.create_project("  ")


def test_documents_belong_to_one_project(store: Store) -> None:
    moon, tides = store.create_project("moonfall"), store.create_project("tides")
    one = store.create_document(moon, "Chapter 1")
    two = store.create_document("moonfall", "Ode", kind="poem")
    store.create_document(tides, "Chapter 1")  # titles are unique per project only
    assert store.documents(moon) == [one, two]
    assert (two.kind, two.project_id) == ("poem", moon.id)
    assert store.find_document("moonfall", "Ode") == two == store.get_document(two.id)
    with pytest.raises(AlreadyExists, match="already has a document titled 'Chapter 1'"):
        store.create_document(moon, "Chapter 1")
    with pytest.raises(NotFound, match="no document titled 'Epilogue'"):
        store.find_document(moon, "Epilogue")
    with pytest.raises(NotFound, match="No project named 'nowhere'"):
        store.create_document("nowhere", "Chapter 1")
