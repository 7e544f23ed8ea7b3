"""The story engine's tables: bible/plan states, continuation trees and their heads, canon facts.

Queries on an open connection, like the other store modules; `Store` wraps each in one
transaction. Text is only ever added: a saved state is a new number, an alternative is a new
node, a fact is a new row. What changes is a decision: a node's or fact's status, and the
document's head, whose every move is logged so `undo` can step back through them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, is_dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    ForeignKey,
    Integer,
    Table,
    Text,
    func,
    insert,
    literal,
    select,
    update,
)

from fabula.store.errors import InvalidRecord, NotFound, StoreError
from fabula.store.projects import ProjectRef, get_project
from fabula.store.records import (
    FACT_FIELDS,
    FACT_SOURCES,
    FACT_STATUSES,
    NODE_STATUSES,
    STATE_KINDS,
    BranchTree,
    FactRecord,
    HeadMove,
    Node,
    StateRecord,
    check_origin,
)
from fabula.store.schema import documents, from_text, generations, metadata, now_text

# Declared on the shared metadata, so the schema test checks them against the migrated database.
story_states = Table(
    "story_states",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("project_id", BigInteger, ForeignKey("projects.id"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("number", Integer, nullable=False),
    Column("payload", Text, nullable=False),  # JSON object
    Column("provenance", Text, nullable=False),
    Column("model", Text),
    Column("message", Text, nullable=False),
    Column("created_at", Text, nullable=False),
)

branch_nodes = Table(
    "branch_nodes",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("document_id", BigInteger, ForeignKey("documents.id"), nullable=False),
    Column("parent_id", BigInteger, ForeignKey("branch_nodes.id")),
    Column("text", Text, nullable=False),
    Column("provenance", Text, nullable=False),
    Column("model", Text),
    Column("params", Text),  # JSON object
    Column("generation_id", BigInteger, ForeignKey("generations.id")),
    Column("status", Text, nullable=False),
    Column("created_at", Text, nullable=False),
)

branch_heads = Table(
    "branch_heads",
    metadata,
    Column("document_id", BigInteger, ForeignKey("documents.id"), primary_key=True),
    Column("node_id", BigInteger, ForeignKey("branch_nodes.id")),
    Column("moved_at", Text, nullable=False),
)

branch_moves = Table(
    "branch_moves",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("document_id", BigInteger, ForeignKey("documents.id"), nullable=False),
    Column("from_node", BigInteger, ForeignKey("branch_nodes.id")),
    Column("to_node", BigInteger, ForeignKey("branch_nodes.id")),
    Column("kind", Text, nullable=False),
    Column("undoes", BigInteger, ForeignKey("branch_moves.id")),
    Column("status_before", Text),
    Column("created_at", Text, nullable=False),
)

canon_facts = Table(
    "canon_facts",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("project_id", BigInteger, ForeignKey("projects.id"), nullable=False),
    Column("subject", Text, nullable=False),
    Column("relation", Text, nullable=False),
    Column("value", Text, nullable=False),
    Column("scene_id", Text, nullable=False),
    Column("scene_order", Integer, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("decided_at", Text),
)


# --- bible and plan states ------------------------------------------------------------------
def save_state(
    conn: Connection,
    project: ProjectRef,
    kind: str,
    payload: Mapping[str, Any],
    provenance: str,
    model: str | None,
    message: str,
) -> StateRecord:
    _check_kind(kind)
    check_origin(provenance, model)
    if not isinstance(payload, Mapping):
        raise InvalidRecord(f"A {kind} is saved as a JSON object (a dict), not {type(payload).__name__}.")
    try:
        encoded = json.dumps(dict(payload), sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError) as error:
        raise InvalidRecord(
            f"The {kind} cannot be stored as JSON ({error}); save plain data (e.g. its to_dict())."
        ) from error
    owner = get_project(conn, project)
    _lock(conn, "projects", owner.id)  # two savers must not take the same number
    number = conn.execute(
        select(func.coalesce(func.max(story_states.c.number), 0) + 1).where(
            story_states.c.project_id == owner.id, story_states.c.kind == kind
        )
    ).scalar_one()
    sid = conn.execute(
        insert(story_states)
        .values(
            project_id=owner.id,
            kind=kind,
            number=number,
            payload=encoded,
            provenance=provenance,
            model=model,
            message=message,
            created_at=now_text(),
        )
        .returning(story_states.c.id)
    ).scalar_one()
    return _state(conn.execute(select(story_states).where(story_states.c.id == sid)).one())


def states(conn: Connection, project: ProjectRef, kind: str) -> list[StateRecord]:
    _check_kind(kind)
    owner = get_project(conn, project)
    query = (
        select(story_states)
        .where(story_states.c.project_id == owner.id, story_states.c.kind == kind)
        .order_by(story_states.c.number)
    )
    return [_state(row) for row in conn.execute(query)]


def latest_state(conn: Connection, project: ProjectRef, kind: str) -> StateRecord | None:
    _check_kind(kind)
    owner = get_project(conn, project)
    query = (
        select(story_states)
        .where(story_states.c.project_id == owner.id, story_states.c.kind == kind)
        .order_by(story_states.c.number.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    return None if row is None else _state(row)


def state(conn: Connection, project: ProjectRef, kind: str, number: int) -> StateRecord:
    _check_kind(kind)
    owner = get_project(conn, project)
    row = conn.execute(
        select(story_states).where(
            story_states.c.project_id == owner.id,
            story_states.c.kind == kind,
            story_states.c.number == number,
        )
    ).first()
    if row is None:
        saved = len(states(conn, owner, kind))
        raise NotFound(
            f"Project '{owner.name}' has no {kind} version {number} "
            f"({saved} saved{f': 1 to {saved}' if saved else ''})."
        )
    return _state(row)


# --- continuation trees ---------------------------------------------------------------------
def add_nodes(
    conn: Connection,
    document_id: int,
    parent_id: int | None,
    texts: Sequence[str],
    provenance: str,
    model: str | None,
    params: Mapping[str, Any] | None,
    generation_id: int | None,
    status: str = "candidate",
) -> list[Node]:
    """Insert alternatives after `parent_id` (None: new roots); returns them in order."""
    _lock_document(conn, document_id)
    if provenance == "edited":
        raise InvalidRecord(
            "Continuation trees keep written and generated passages; add your edited text as a "
            "written passage (`fabula continue write`)."
        )
    check_origin(provenance, model, extra=params is not None or generation_id is not None)
    _check_status(status, NODE_STATUSES, "node")
    if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
        raise InvalidRecord("Give the passages as a list of strings, one per alternative.")
    if not texts:
        raise InvalidRecord("Give at least one passage to add.")
    if parent_id is not None:
        _node_in(conn, parent_id, document_id)
    if generation_id is not None and conn.execute(
        select(generations.c.id).where(generations.c.id == generation_id)
    ).first() is None:
        raise InvalidRecord(
            f"The passages name generation {generation_id}, which is not in the log. "
            "List logged generations with `fabula log`."
        )
    encoded = None if params is None else json.dumps(dict(params), sort_keys=True, ensure_ascii=False)
    created = now_text()
    ids = [
        conn.execute(
            insert(branch_nodes)
            .values(
                document_id=document_id,
                parent_id=parent_id,
                text=text,
                provenance=provenance,
                model=model,
                params=encoded,
                generation_id=generation_id,
                status=status,
                created_at=created,
            )
            .returning(branch_nodes.c.id)
        ).scalar_one()
        for text in texts
    ]
    return [get_node(conn, i) for i in ids]


def append(
    conn: Connection,
    document_id: int,
    text: str,
    provenance: str,
    model: str | None,
    params: Mapping[str, Any] | None,
    generation_id: int | None,
) -> Node:
    """Add one accepted node after the head and move the head to it (a logged move)."""
    _lock_document(conn, document_id)  # before reading the head, so concurrent appends chain up
    current = head(conn, document_id)
    parent = None if current is None else current.id
    [node] = add_nodes(conn, document_id, parent, [text], provenance, model, params, generation_id)
    move_head(conn, document_id, node.id, accept=True)
    return get_node(conn, node.id)


def get_node(conn: Connection, node_id: int) -> Node:
    row = conn.execute(select(branch_nodes).where(branch_nodes.c.id == node_id)).first()
    if row is None:
        raise NotFound(
            f"No passage #{node_id}. See a document's passages with `fabula continue tree PROJECT DOCUMENT`."
        )
    return _node(row)


def children(conn: Connection, node_id: int) -> list[Node]:
    get_node(conn, node_id)
    query = select(branch_nodes).where(branch_nodes.c.parent_id == node_id).order_by(branch_nodes.c.id)
    return [_node(row) for row in conn.execute(query)]


def roots(conn: Connection, document_id: int) -> list[Node]:
    query = (
        select(branch_nodes)
        .where(branch_nodes.c.document_id == document_id, branch_nodes.c.parent_id.is_(None))
        .order_by(branch_nodes.c.id)
    )
    return [_node(row) for row in conn.execute(query)]


def path(conn: Connection, node_id: int) -> list[Node]:
    """Root to `node_id`, in one recursive query (a long story is a deep tree)."""
    get_node(conn, node_id)
    up = (
        select(branch_nodes.c.id, branch_nodes.c.parent_id, literal(0).label("depth"))
        .where(branch_nodes.c.id == node_id)
        .cte("up", recursive=True)
    )
    up = up.union_all(
        select(branch_nodes.c.id, branch_nodes.c.parent_id, up.c.depth + 1).join(
            up, branch_nodes.c.id == up.c.parent_id
        )
    )
    query = select(branch_nodes).join(up, branch_nodes.c.id == up.c.id).order_by(up.c.depth.desc())
    return [_node(row) for row in conn.execute(query)]


def head(conn: Connection, document_id: int) -> Node | None:
    node_id = conn.execute(
        select(branch_heads.c.node_id).where(branch_heads.c.document_id == document_id)
    ).scalar()
    return None if node_id is None else get_node(conn, node_id)


def tree(conn: Connection, document_id: int) -> BranchTree:
    query = select(branch_nodes).where(branch_nodes.c.document_id == document_id).order_by(branch_nodes.c.id)
    nodes = [_node(row) for row in conn.execute(query)]
    current = head(conn, document_id)
    return BranchTree(nodes, None if current is None else current.id)


def move_head(conn: Connection, document_id: int, node_id: int | None, accept: bool) -> Node | None:
    """Point the document's head at `node_id` (accepting it if asked) and log the move."""
    _lock_document(conn, document_id)
    target = None if node_id is None else _node_in(conn, node_id, document_id)
    before = None
    if target is not None and accept and target.status != "accepted":
        before = target.status
        _set_status(conn, target.id, "accepted")
    _log_move(conn, document_id, target, "move", None, before)
    return None if target is None else get_node(conn, target.id)


def undo_head(conn: Connection, document_id: int) -> Node | None:
    """Take back the newest move not yet undone: the head returns to where that move started,
    and a node the move accepted gets its earlier status back. Returns the new head."""
    _lock_document(conn, document_id)
    undone = select(branch_moves.c.undoes).where(branch_moves.c.undoes.is_not(None))
    last = conn.execute(
        select(branch_moves)
        .where(
            branch_moves.c.document_id == document_id,
            branch_moves.c.kind == "move",
            branch_moves.c.id.not_in(undone),
        )
        .order_by(branch_moves.c.id.desc())
        .limit(1)
    ).first()
    if last is None:
        raise StoreError(
            "Nothing to undo: no choice on this document is left to take back. "
            "See its passages with `fabula continue tree PROJECT DOCUMENT`."
        )
    if last.status_before is not None and last.to_node is not None:
        if get_node(conn, last.to_node).status == "accepted":
            _set_status(conn, last.to_node, last.status_before)
    target = None if last.from_node is None else get_node(conn, last.from_node)
    _log_move(conn, document_id, target, "undo", last.id, None)
    return target


def moves(conn: Connection, document_id: int) -> list[HeadMove]:
    query = select(branch_moves).where(branch_moves.c.document_id == document_id).order_by(branch_moves.c.id)
    return [_move(row) for row in conn.execute(query)]


def set_status(conn: Connection, node_id: int, status: str) -> Node:
    _check_status(status, NODE_STATUSES, "node")
    node = get_node(conn, node_id)
    _lock_document(conn, node.document_id)
    if status == "rejected":
        current = head(conn, node.document_id)
        if current is not None and node.id in {n.id for n in path(conn, current.id)}:
            raise StoreError(
                f"Passage #{node.id} is part of the current text; step back first "
                "(`fabula continue undo PROJECT DOCUMENT`), then reject it."
            )
    _set_status(conn, node.id, status)
    return get_node(conn, node.id)


def _log_move(
    conn: Connection, document_id: int, target: Node | None, kind: str, undoes: int | None, before: str | None
) -> None:
    current = conn.execute(
        select(branch_heads.c.node_id).where(branch_heads.c.document_id == document_id)
    ).first()
    moved = now_text()
    to_node = None if target is None else target.id
    if current is None:
        conn.execute(insert(branch_heads).values(document_id=document_id, node_id=to_node, moved_at=moved))
    else:
        conn.execute(
            update(branch_heads)
            .where(branch_heads.c.document_id == document_id)
            .values(node_id=to_node, moved_at=moved)
        )
    conn.execute(
        insert(branch_moves).values(
            document_id=document_id,
            from_node=None if current is None else current.node_id,
            to_node=to_node,
            kind=kind,
            undoes=undoes,
            status_before=before,
            created_at=moved,
        )
    )


def _set_status(conn: Connection, node_id: int, status: str) -> None:
    conn.execute(update(branch_nodes).where(branch_nodes.c.id == node_id).values(status=status))


def _node_in(conn: Connection, node_id: int, document_id: int) -> Node:
    node = get_node(conn, node_id)
    if node.document_id != document_id:
        raise StoreError(f"Passage #{node_id} belongs to another document (id {node.document_id}).")
    return node


def _lock_document(conn: Connection, document_id: int) -> None:
    # Serialises tree writes per document (FOR UPDATE on PostgreSQL; SQLite's writer holds the lock).
    query = select(documents.c.id).where(documents.c.id == document_id).with_for_update()
    if conn.execute(query).first() is None:
        raise NotFound(
            f"No document with id {document_id}. See a project's documents with `fabula project show NAME`."
        )


def _lock(conn: Connection, table: str, row_id: int) -> None:
    rows = metadata.tables[table]
    conn.execute(select(rows.c.id).where(rows.c.id == row_id).with_for_update())


# --- canon facts ----------------------------------------------------------------------------
def add_facts(conn: Connection, project: ProjectRef, facts: Sequence[Any]) -> list[int]:
    owner = get_project(conn, project)
    rows = [_fact_row(owner.id, fact, i) for i, fact in enumerate(facts)]
    statement = insert(canon_facts).returning(canon_facts.c.id)
    return [int(conn.execute(statement.values(**row)).scalar_one()) for row in rows]


def list_facts(conn: Connection, project: ProjectRef, status: str | None) -> list[FactRecord]:
    owner = get_project(conn, project)
    query = select(canon_facts).where(canon_facts.c.project_id == owner.id)
    if status is not None:
        _check_status(status, FACT_STATUSES, "fact")
        query = query.where(canon_facts.c.status == status)
    return [_fact(row) for row in conn.execute(query.order_by(canon_facts.c.scene_order, canon_facts.c.id))]


def decide_facts(conn: Connection, ids: Sequence[int], status: str) -> list[FactRecord]:
    if status not in ("accepted", "rejected"):
        raise InvalidRecord(f"A fact is decided as 'accepted' or 'rejected', not {status!r}.")
    wanted = list(dict.fromkeys(ids))
    found = set(conn.execute(select(canon_facts.c.id).where(canon_facts.c.id.in_(wanted))).scalars())
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound(
            f"No canon fact with id {missing[0]}; nothing was changed. List the facts for their ids."
        )
    if wanted:
        conn.execute(
            update(canon_facts)
            .where(canon_facts.c.id.in_(wanted))
            .values(status=status, decided_at=now_text())
        )
    query = select(canon_facts).where(canon_facts.c.id.in_(wanted))
    by_id = {row.id: _fact(row) for row in conn.execute(query)}
    return [by_id[i] for i in wanted]


def _fact_row(project_id: int, fact: Any, index: int) -> dict[str, Any]:
    data = asdict(fact) if is_dataclass(fact) and not isinstance(fact, type) else fact
    if not isinstance(data, Mapping):
        raise InvalidRecord(f"Fact {index + 1} is a {type(fact).__name__}; give a dict (or a Fact) per fact.")
    data = {"status": "proposed", "evidence": "", **data}
    unknown = sorted(set(data) - set(FACT_FIELDS))
    missing = [name for name in FACT_FIELDS if name not in data]
    if unknown or missing:
        problem = f"unknown field(s) {', '.join(unknown)}" if unknown else f"no {', '.join(missing)}"
        raise InvalidRecord(f"Fact {index + 1} has {problem}; a fact has exactly {', '.join(FACT_FIELDS)}.")
    for name in ("subject", "relation", "value", "scene_id"):
        if not isinstance(data[name], str) or not data[name].strip():
            raise InvalidRecord(f"Fact {index + 1} needs a non-empty text {name}.")
    if not isinstance(data["scene_order"], int) or isinstance(data["scene_order"], bool):
        raise InvalidRecord(f"Fact {index + 1}: scene_order is the scene's place in story order, an integer.")
    if not isinstance(data["evidence"], str):
        raise InvalidRecord(f"Fact {index + 1}: evidence is the sentence the fact came from, a string.")
    _check_status(data["source"], FACT_SOURCES, "fact source")
    _check_status(data["status"], FACT_STATUSES, "fact")
    decided = None if data["status"] == "proposed" else now_text()
    return {**data, "project_id": project_id, "created_at": now_text(), "decided_at": decided}


# --- shared ---------------------------------------------------------------------------------
def _check_kind(kind: str) -> None:
    if kind not in STATE_KINDS:
        raise InvalidRecord(f"Unknown story state {kind!r}: use one of {', '.join(STATE_KINDS)}.")


def _check_status(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise InvalidRecord(f"Unknown {what} status {value!r}: use one of {', '.join(allowed)}.")


def _state(row: Any) -> StateRecord:
    return StateRecord(
        id=row.id,
        project_id=row.project_id,
        kind=row.kind,
        number=row.number,
        payload=json.loads(row.payload),
        provenance=row.provenance,
        model=row.model,
        message=row.message,
        created_at=from_text(row.created_at),
    )


def _node(row: Any) -> Node:
    return Node(
        id=row.id,
        document_id=row.document_id,
        parent_id=row.parent_id,
        text=row.text,
        provenance=row.provenance,
        model=row.model,
        params=None if row.params is None else json.loads(row.params),
        generation_id=row.generation_id,
        status=row.status,
        created_at=from_text(row.created_at),
    )


def _move(row: Any) -> HeadMove:
    return HeadMove(
        id=row.id,
        document_id=row.document_id,
        from_node=row.from_node,
        to_node=row.to_node,
        kind=row.kind,
        undoes=row.undoes,
        status_before=row.status_before,
        created_at=from_text(row.created_at),
    )


def _fact(row: Any) -> FactRecord:
    return FactRecord(
        id=row.id,
        project_id=row.project_id,
        subject=row.subject,
        relation=row.relation,
        value=row.value,
        scene_id=row.scene_id,
        scene_order=row.scene_order,
        evidence=row.evidence,
        source=row.source,
        status=row.status,
        created_at=from_text(row.created_at),
        decided_at=None if row.decided_at is None else from_text(row.decided_at),
    )
