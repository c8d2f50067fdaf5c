"""Identities are people, not emails.

Order of resolution (DESIGN.md): .mailmap (git applies it before we see a
name), then normalisation (case, GitHub noreply addresses), then the org chart,
then explicit aliases in foundermode.toml. Every other module turns a name and
an email into a person through ``IdentityResolver.person_for``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from sqlalchemy import Boolean, Connection, func, insert, select, text, update
from sqlalchemy import column as sql_column, table as sql_table

from ..errors import Conflict, InputError, NotFound

from ..store import now
from ..store.schema import identities, metadata, people
from .patterns import AuthorRules
from ..store.bulk import insert_rows, reserve_ids
from ..store.schema_people import person_merges

IDENTITY_LOCK = 0x466D4964  # "FmId": the advisory lock that serialises identity creation on PostgreSQL
NOREPLY = re.compile(r"^(?:\d+\+)?(?P<login>[^@]+)@users\.noreply\.github\.com$", re.IGNORECASE)
GITHUB_KEY = re.compile(r"^github:(?P<login>.+)$", re.IGNORECASE)
NAMES_BY_QUERY = 200  # more names wanted at once than this: read every name instead


@lru_cache(maxsize=1 << 16)
def identity_key(name: str | None, email: str | None) -> str:
    """The normalised key under which an identity is stored.

    Cached: a history names the same few thousand people on every commit, and
    each commit asks for its author's and committer's keys twice."""
    email = (email or "").strip().strip("<>").strip()
    if email:
        github = NOREPLY.match(email) or GITHUB_KEY.match(email)
        if github:
            return "github:" + github.group("login").lower()
        return email.casefold()
    return "name:" + " ".join((name or "").split()).casefold()


def alias_key(alias: str) -> str:
    """The identity key of an ``[identities.aliases]`` entry: an email, ``github:LOGIN``, or a name."""
    return identity_key("", alias) if ("@" in alias or ":" in alias) else identity_key(alias, "")


def parse_name_email(value: str) -> tuple[str, str]:
    """'Ada Lovelace <ada@example.com>' -> ('Ada Lovelace', 'ada@example.com')."""
    match = re.match(r"^\s*(.*?)\s*<([^>]*)>\s*$", value)
    if match:
        return match.group(1), match.group(2)
    value = value.strip()
    return ("", value) if "@" in value else (value, "")


@dataclass
class IdentityResolver:
    """Maps (name, email) to a person id, creating people and identities as needed.

    Holds a cache for one transaction; everything it writes goes through ``conn``.
    Identities and names are read from the store as they are met, not loaded
    whole: an incremental ingest of a hundred commits meets a few dozen, an
    organisation has thousands.
    """

    conn: Connection
    aliases: dict[str, list[str]] = field(default_factory=dict)
    bot_rules: AuthorRules | None = None
    _by_key: dict[str, int] = field(default_factory=dict)  # identity key -> person, for the keys met so far
    _alias_to_canonical: dict[str, str] = field(default_factory=dict)
    _names: dict[str, list[int]] = field(default_factory=dict)  # casefolded name -> people, for the names looked up
    _all_names: bool = False
    _addressed: dict[int, bool] = field(default_factory=dict)  # person -> has an identity other than a GitHub login
    merge_same_name: bool = False

    def __post_init__(self) -> None:
        for canonical, others in self.aliases.items():
            for other in others:
                self._alias_to_canonical[alias_key(other)] = canonical

    @classmethod
    def from_config(cls, conn: Connection, config) -> "IdentityResolver":
        same_name = config.settings.identities.merge_same_name
        return cls(conn, aliases=config.aliases, bot_rules=AuthorRules(config.bot_authors), merge_same_name=same_name)

    def person_for(self, name: str | None, email: str | None, source: str = "git") -> int:
        key = identity_key(name, email)
        if key not in self._by_key:
            self._look_up([key])
        person_id = self._by_key.get(key)
        if person_id is not None:
            return person_id
        person_id = self._find_related_person(key, name)
        if person_id is None:
            person_id = self._create_person(name, email, key)
        self._add_identity(person_id, key, name, email, source)
        return person_id

    def prepare(self, pairs, source: str = "git") -> None:
        """Create, in bulk, a person for every identity not seen before.

        A large history brings thousands of authors at once; one round trip
        per author would cost more than reading the history.
        """
        keyed: dict[str, tuple[str, str]] = {}
        for name, email in pairs:
            keyed.setdefault(identity_key(name, email), (name, email))
        self._look_up(keyed)
        pending = {key: pair for key, pair in keyed.items() if key not in self._by_key}
        self._load_names(name for name, _email in pending.values())
        # Addresses before GitHub logins, so a noreply address in the same batch
        # as its owner's address finds the owner whichever came first.
        addresses = {k: v for k, v in pending.items() if not k.startswith("github:")}
        logins = {k: v for k, v in pending.items() if k.startswith("github:")}
        self._prepare_fresh(addresses, source)
        self._prepare_fresh(logins, source)

    def _prepare_fresh(self, pending: dict[str, tuple[str, str]], source: str) -> None:
        fresh = []
        for key, (name, email) in pending.items():
            related = self._find_related_person(key, name)
            if related is not None:
                if key not in self._by_key:
                    self._add_identity(related, key, name, email, source)
            else:
                fresh.append((key, name, email))
        if not fresh:
            return
        if self.conn.dialect.name == "postgresql":
            # Concurrent ingests meet the same authors. Identities are created in
            # short transactions of their own, one at a time, so two long
            # repository transactions never collide on an identity key.
            with self.conn.engine.connect() as other:
                with other.begin():
                    other.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": IDENTITY_LOCK})
                    keys = [key for key, _, _ in fresh]
                    for start in range(0, len(keys), 1000):
                        chunk = keys[start : start + 1000]
                        for key, person_id in other.execute(select(identities.c.key, identities.c.person_id).where(identities.c.key.in_(chunk))):
                            self._note_identity(person_id, key)
                    self._create_bulk(other, [f for f in fresh if f[0] not in self._by_key], source)
        else:
            self._create_bulk(self.conn, fresh, source)

    def _create_bulk(self, conn: Connection, fresh: list[tuple[str, str, str]], source: str) -> None:
        if not fresh:
            return
        owners = list(range(len(fresh)))
        if self.merge_same_name:
            # Several new addresses under one full name in the same batch: one person.
            first_with_name: dict[str, int] = {}
            for index, (_key, name, _email) in enumerate(fresh):
                if name and _distinctive(name):
                    owners[index] = first_with_name.setdefault(" ".join(name.split()).casefold(), index)
        creators = [i for i in range(len(fresh)) if owners[i] == i]
        created_ids = dict(zip(creators, reserve_ids(conn, people, len(creators))))
        person_ids = [created_ids[owners[i]] for i in range(len(fresh))]
        created = now()
        person_rows, identity_rows = [], []
        for index in creators:
            person_id, (key, name, email) = created_ids[index], fresh[index]
            display = (name or "").strip() or (email or "").split("@")[0] or key
            is_bot = bool(self.bot_rules and self.bot_rules.is_bot(name, email))
            person_rows.append((person_id, display, email or None, is_bot, False, created))
            self._note_person(person_id, display)
        identity_ids = reserve_ids(conn, identities, len(fresh))
        for identity_id, person_id, (key, name, email) in zip(identity_ids, person_ids, fresh):
            identity_rows.append((identity_id, person_id, key, name or None, email or None, source))
            self._note_identity(person_id, key)
        insert_rows(conn, people, ("id", "name", "email", "is_bot", "in_org_chart", "created_at"), person_rows)
        insert_rows(conn, identities, ("id", "person_id", "key", "name", "email", "source"), identity_rows)

    def _find_related_person(self, key: str, name: str | None) -> int | None:
        canonical = self._alias_to_canonical.get(key)
        if canonical is not None:
            canonical_key = identity_key("", canonical)
            if canonical_key != key:
                return self.person_for("", canonical, source="alias")
        if not name:
            return None
        if key.startswith("github:") or (self.merge_same_name and _distinctive(name)):
            # A noreply address belongs to whoever commits under the same name,
            # but only when exactly one person carries that name. With
            # merge_same_name, so does any address under a full name.
            candidates = self._people_named(name)
            if len(candidates) == 1:
                return candidates[0]
        else:
            # And the other way round, so the outcome does not hang on which came
            # first: an address joins the one person of its name known so far only
            # by a noreply address (GitHub's web editor before a local clone).
            candidates = self._people_named(name)
            if len(candidates) == 1 and not self._has_address(candidates[0]):
                return candidates[0]
        return None

    def _look_up(self, keys) -> None:
        """Read the people of the given identity keys not met yet."""
        missing = sorted({key for key in keys if key not in self._by_key})
        for start in range(0, len(missing), 500):
            chunk = missing[start : start + 500]
            self._by_key.update(self.conn.execute(select(identities.c.key, identities.c.person_id).where(identities.c.key.in_(chunk))).all())

    def _load_names(self, names) -> None:
        """Read who carries each of the given names (compared casefolded), or every name when many are wanted."""
        if self._all_names:
            return
        wanted = sorted({name.casefold() for name in names if name} - set(self._names))
        if not wanted:
            return
        # SQL's lower() folds ASCII letters only: other names, and a whole history's worth, read every name once.
        if len(wanted) > NAMES_BY_QUERY or not all(name.isascii() for name in wanted):
            self._names = {}
            for person_id, person_name in self.conn.execute(select(people.c.id, people.c.name)):
                self._names.setdefault(person_name.casefold(), []).append(person_id)
            self._all_names = True
            return
        for name in wanted:
            self._names[name] = []
        rows = self.conn.execute(select(people.c.id, people.c.name).where(func.lower(people.c.name).in_(wanted)))
        for person_id, person_name in rows:
            if person_name.casefold() in self._names:
                self._names[person_name.casefold()].append(person_id)

    def _people_named(self, name: str) -> list[int]:
        self._load_names([name])
        return self._names.get(name.casefold(), [])

    def _has_address(self, person_id: int) -> bool:
        if person_id not in self._addressed:
            query = select(func.count()).select_from(identities).where(identities.c.person_id == person_id, ~identities.c.key.startswith("github:"))
            self._addressed[person_id] = self.conn.execute(query).scalar_one() > 0
        return self._addressed[person_id]

    def _note_identity(self, person_id: int, key: str) -> None:
        self._by_key[key] = person_id
        if not key.startswith("github:"):
            self._addressed[person_id] = True

    def _note_person(self, person_id: int, display: str) -> None:
        folded = display.casefold()
        if self._all_names or folded in self._names:
            self._names.setdefault(folded, []).append(person_id)

    def _create_person(self, name: str | None, email: str | None, key: str) -> int:
        display = (name or "").strip() or (email or "").split("@")[0] or key
        is_bot = bool(self.bot_rules and self.bot_rules.is_bot(name, email))
        person_id = self.conn.execute(
            insert(people).values(name=display, email=(email or None), is_bot=is_bot, in_org_chart=False, created_at=now()).returning(people.c.id)
        ).scalar_one()
        self._note_person(person_id, display)
        return person_id

    def _add_identity(self, person_id: int, key: str, name: str | None, email: str | None, source: str) -> None:
        self.conn.execute(insert(identities).values(person_id=person_id, key=key, name=name or None, email=email or None, source=source))
        self._note_identity(person_id, key)


def _distinctive(name: str) -> bool:
    """A full name (two words or more) that is not a placeholder like 'root' or 'unknown'."""
    words = name.split()
    return len(words) >= 2 and name.casefold() not in {"github action", "github actions", "your name", "unknown user"}


def person_references(exclude: tuple[str, ...] = ("identities",)) -> list[tuple]:
    """Every (table, column) holding a people.id, across all principles' tables."""
    refs = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            for fk in column.foreign_keys:
                if fk.column.table.name == "people" and table.name not in exclude:
                    refs.append((table, column))
    return refs


MERGE_BY_HAND = "by hand"
FILLED_COLUMNS = ("email", "title", "team", "role", "manager_id")


def merge_people(conn: Connection, keep_id: int, merge_id: int, evidence: str = MERGE_BY_HAND) -> int:
    """Fold person ``merge_id`` into ``keep_id``: identities, commits and every other reference.

    What moved is recorded in ``person_merges`` (the folded person's row, its
    identities, per referencing table the rows that changed hands) so that
    ``split_merge`` can undo it; returns the record's id.
    """
    import json

    if keep_id == merge_id:
        raise InputError("cannot merge a person with themself")
    for pid in (keep_id, merge_id):
        if conn.execute(select(people.c.id).where(people.c.id == pid)).first() is None:
            raise NotFound(f"no person with id {pid}")
    kept = dict(conn.execute(select(people).where(people.c.id == keep_id)).mappings().one())
    merged = dict(conn.execute(select(people).where(people.c.id == merge_id)).mappings().one())
    identity_ids = [row[0] for row in conn.execute(select(identities.c.id).where(identities.c.person_id == merge_id))]
    conn.execute(update(identities).where(identities.c.person_id == merge_id).values(person_id=keep_id))
    moved: dict[str, dict] = {}
    for table, column in person_references():
        primary = [c.name for c in table.primary_key.columns]
        where = f"{table.name}.{column.name}"
        if column.name in primary and len(primary) > 1:
            # Composite keys (co-authors, ownership): rows present for both people would collide.
            moved[where] = {"rows": _merge_keyed_rows(conn, table, column, keep_id, merge_id, primary)}
            continue
        if len(primary) > 1:
            # A person column beside a composite key (review requests): the rows' whole keys are recorded.
            keyed = [list(row) for row in conn.execute(select(*[table.c[n] for n in primary]).where(column == merge_id))]
            if keyed:
                conn.execute(update(table).where(column == merge_id).values({column.name: keep_id}))
                moved[where] = {"keyed": keyed}
            continue
        key = table.c[primary[0]]
        ids = [row[0] for row in conn.execute(select(key).where(column == merge_id))]
        if ids:
            for start in range(0, len(ids), 500):
                conn.execute(update(table).where(key.in_(ids[start : start + 500])).values({column.name: keep_id}))
            moved[where] = {"keys": ids}
    fill = {col: merged[col] for col in FILLED_COLUMNS if kept[col] is None and merged[col] is not None}
    if merged["in_org_chart"] and not kept["in_org_chart"]:
        fill["in_org_chart"] = True
    if fill:
        conn.execute(update(people).where(people.c.id == keep_id).values(**fill))
    conn.execute(people.delete().where(people.c.id == merge_id))
    record = {"row": merged, "identities": identity_ids, "filled": sorted(fill)}
    return conn.execute(insert(person_merges).values(**_merge_record(keep_id, merge_id, merged, record, moved, evidence)).returning(person_merges.c.id)).scalar_one()


def _merge_record(keep_id: int, merge_id: int, merged: dict, record: dict, moved: dict, evidence: str) -> dict:
    """The person_merges row of one fold, as merge_people and merge_many write it."""
    import json

    return {
        "kept_id": keep_id, "merged_id": merge_id, "merged_name": merged["name"], "person": json.dumps(record, default=str),
        "moved": json.dumps({k: v for k, v in moved.items() if v.get("keys") or v.get("rows") or v.get("keyed")}, default=str),
        "evidence": evidence, "merged_at": now(),
    }


MERGE_MAP = "fm_merge_map"  # the temporary (merged person -> kept person) table of merge_many


def merge_many(conn: Connection, folds: list[tuple[int, int, str]]) -> list[int]:
    """Fold many people at once: ``folds`` are (keep, merged, evidence), in the order ``merge_people`` would run them.

    The store ends exactly as after ``merge_people`` one fold after another,
    with one ``person_merges`` record per fold (so ``split_merge`` undoes each),
    but every referencing table is read once and rewritten by one set-based
    UPDATE keyed by a temporary mapping table: a few dozen statements for any
    number of folds. Runs on ``conn`` (the caller's transaction: all or
    nothing). A person kept by one fold cannot be folded away by another.
    Returns the records' ids, in the order of ``folds``.
    """
    if not folds:
        return []
    target: dict[int, int] = {}
    for keep_id, merge_id, _evidence in folds:
        if keep_id == merge_id:
            raise InputError("cannot merge a person with themself")
        if merge_id in target:
            raise InputError(f"person {merge_id} is folded twice")
        target[merge_id] = keep_id
    kept_ids = {keep for keep, _, _ in folds}
    both = sorted(kept_ids & set(target))
    if both:
        raise InputError(f"person {both[0]} is both kept and folded away: merge the group under one person")
    involved = sorted(kept_ids | set(target))
    rows: dict[int, dict] = {}
    for chunk in _chunks(involved):
        rows.update((r["id"], dict(r)) for r in conn.execute(select(people).where(people.c.id.in_(chunk))).mappings())
    missing = [pid for pid in involved if pid not in rows]
    if missing:
        raise NotFound(f"no person with id {missing[0]}")
    original = {pid: dict(row) for pid, row in rows.items()}
    order = {merge_id: index for index, (_k, merge_id, _e) in enumerate(folds)}

    # The people rows, fold by fold as merge_people sees them: what each record keeps and what each fill sets.
    records: dict[int, dict] = {}
    for keep_id, merge_id, _evidence in folds:
        kept, merged = dict(rows[keep_id]), dict(rows[merge_id])
        for row in rows.values():
            if row["manager_id"] == merge_id:
                row["manager_id"] = keep_id
        fill = {col: merged[col] for col in FILLED_COLUMNS if kept[col] is None and merged[col] is not None}
        if merged["in_org_chart"] and not kept["in_org_chart"]:
            fill["in_org_chart"] = True
        rows[keep_id].update(fill)
        del rows[merge_id]
        records[merge_id] = {"row": merged, "identities": [], "filled": sorted(fill)}

    dialect = conn.dialect.name
    conn.execute(text(f"CREATE TEMP TABLE IF NOT EXISTS {MERGE_MAP} (merged_id BIGINT PRIMARY KEY, kept_id BIGINT NOT NULL)" + (" ON COMMIT DROP" if dialect == "postgresql" else "")))
    conn.execute(text(f"DELETE FROM {MERGE_MAP}"))
    conn.execute(text(f"INSERT INTO {MERGE_MAP} (merged_id, kept_id) VALUES (:m, :k)"), [{"m": m, "k": k} for m, k in target.items()])
    folded = select(_MAP.c.merged_id)

    def remap(table, column) -> None:
        conn.execute(update(table).where(column.in_(folded)).values({column.name: _mapped(column)}))

    for identity_id, person_id in conn.execute(select(identities.c.id, identities.c.person_id).where(identities.c.person_id.in_(folded)).order_by(identities.c.id)):
        records[person_id]["identities"].append(identity_id)
    remap(identities, identities.c.person_id)
    moved: dict[int, dict] = {merge_id: {} for merge_id in target}
    for table, column in person_references():
        primary = [c.name for c in table.primary_key.columns]
        where = f"{table.name}.{column.name}"
        if column.name in primary and len(primary) > 1:
            _merge_keyed_rows_many(conn, table, column, target, order, primary, moved, where)
        elif len(primary) > 1:
            keys = [table.c[n] for n in primary]
            for row in conn.execute(select(column, *keys).where(column.in_(folded)).order_by(*keys)):
                moved[row[0]].setdefault(where, {"keyed": []})["keyed"].append(list(row[1:]))
        else:
            key = table.c[primary[0]]
            for merge_id, key_value in conn.execute(select(column, key).where(column.in_(folded)).order_by(key)):
                if table is people and key_value in order and order[key_value] < order[merge_id]:
                    continue  # folded away (deleted) before this fold ran
                moved[merge_id].setdefault(where, {"keys": []})["keys"].append(key_value)
        if not (column.name in primary and len(primary) > 1):
            remap(table, column)
    for keep_id in sorted(kept_ids):
        before = {**original[keep_id], "manager_id": target.get(original[keep_id]["manager_id"], original[keep_id]["manager_id"])}
        changed = {col: value for col, value in rows[keep_id].items() if value != before[col]}
        if changed:
            conn.execute(update(people).where(people.c.id == keep_id).values(**changed))
    conn.execute(people.delete().where(people.c.id.in_(folded)))
    ids = []
    for keep_id, merge_id, evidence in folds:
        record = _merge_record(keep_id, merge_id, records[merge_id]["row"], records[merge_id], moved[merge_id], evidence)
        ids.append(conn.execute(insert(person_merges).values(**record).returning(person_merges.c.id)).scalar_one())
    conn.execute(text(f"DROP TABLE {MERGE_MAP}"))
    return ids


_MAP = sql_table(MERGE_MAP, sql_column("merged_id"), sql_column("kept_id"))


def _mapped(column):
    """The kept person of the folded one ``column`` names, for an UPDATE's SET."""
    return select(_MAP.c.kept_id).where(_MAP.c.merged_id == column).scalar_subquery()


def _chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _merge_keyed_rows_many(conn, table, column, target, order, primary, moved, where) -> None:
    """``_merge_keyed_rows`` for many folds: the folded rows are read once, summed or moved in fold order, written in three statements."""
    from sqlalchemy import bindparam

    others = [name for name in primary if name != column.name]
    value_columns = [c.name for c in table.columns if c.name not in primary]
    folded = select(_MAP.c.merged_id)
    merged_rows = [dict(r) for r in conn.execute(select(table).where(column.in_(folded))).mappings()]
    if not merged_rows:
        return
    merged_rows.sort(key=lambda r: (order[r[column.name]], [str(r[n]) for n in others]))
    keeps = sorted({target[r[column.name]] for r in merged_rows})
    state: dict[tuple, dict] = {}
    for chunk in _chunks(keeps):
        for r in conn.execute(select(table).where(column.in_(chunk))).mappings():
            state[(r[column.name], *[r[n] for n in others])] = dict(r)
    joined_rows, summed_keys = [], set()
    for row in merged_rows:
        keep_id = target[row[column.name]]
        key = (keep_id, *[row[n] for n in others])
        existing = state.get(key)
        if existing is None:
            state[key] = {**row, column.name: keep_id}
            joined = False
        else:
            for name in value_columns:
                if _is_count(row[name]):
                    existing[name] = (existing[name] or 0) + (row[name] or 0)
                    summed_keys.add(key)
            joined_rows.append(row)
            joined = True
        moved[row[column.name]].setdefault(where, {"rows": []})["rows"].append({"values": dict(row), "joined": joined})
    match = [table.c[n] == bindparam(f"b_{n}") for n in [column.name, *others]]
    if joined_rows:
        conn.execute(table.delete().where(*match), [{f"b_{n}": r[n] for n in [column.name, *others]} for r in joined_rows])
    conn.execute(update(table).where(column.in_(folded)).values({column.name: _mapped(column)}))
    counts = sorted({name for name in value_columns if any(_is_count(state[k][name]) for k in summed_keys)})
    if summed_keys and counts:
        statement = update(table).where(*match).values({name: bindparam(f"v_{name}") for name in counts})
        conn.execute(statement, [{**{f"b_{n}": state[k][n] for n in [column.name, *others]}, **{f"v_{name}": state[k][name] for name in counts}} for k in summed_keys])


def split_merge(conn: Connection, merged_id: int, aliases: dict[str, list[str]] | None = None) -> int:
    """Undo the latest merge that folded person ``merged_id`` away: the person comes back with its id,
    identities and the rows that moved. Returns the person it was split from.

    Rows the kept person gained after the merge stay with them: a commit ingested
    later under one of the folded addresses was attributed to the kept person
    (re-ingesting the repository attributes it afresh). A merge that
    ``[identities.aliases]`` declares is refused: the next ingest would redo it.
    """
    import json

    record = conn.execute(
        select(person_merges).where(person_merges.c.merged_id == merged_id, person_merges.c.split_at.is_(None)).order_by(person_merges.c.id.desc())
    ).mappings().first()
    if record is None:
        raise NotFound(f"no merge folded person {merged_id} away: give the id of the person that was folded into another")
    keep_id = record["kept_id"]
    if keep_id is None:
        raise Conflict(f"the person {record['merged_name']} was merged into no longer exists")
    if conn.execute(select(people.c.id).where(people.c.id == merged_id)).first() is not None:
        raise Conflict(f"person {merged_id} exists again; nothing to split")
    person = json.loads(record["person"])
    keys = [row[0] for row in conn.execute(select(identities.c.key).where(identities.c.id.in_(person["identities"] or [-1])))]
    if aliases:
        declared = _declared_together(aliases, conn, keep_id, keys)
        if declared:
            raise Conflict(f"[identities.aliases] declares {declared} to be one person: remove the alias before splitting")
    row = person["row"]
    kept = conn.execute(select(people).where(people.c.id == keep_id)).mappings().one()
    columns = {c.name: c for c in people.columns}
    conn.execute(insert(people).values({name: _column_value(columns[name], value) for name, value in row.items() if name in columns}))
    # What the merge filled in from the folded person goes back to empty, unless changed since.
    restore = {col: None if col != "in_org_chart" else False for col in person["filled"] if str(kept[col]) == str(row[col])}
    if restore:
        conn.execute(update(people).where(people.c.id == keep_id).values(**restore))
    if person["identities"]:
        conn.execute(update(identities).where(identities.c.id.in_(person["identities"]), identities.c.person_id == keep_id).values(person_id=merged_id))
    tables = {(t.name, c.name): (t, c) for t, c in person_references()}
    for where, what in json.loads(record["moved"]).items():
        table_name, column_name = where.split(".", 1)
        if (table_name, column_name) not in tables:
            continue
        table, column = tables[(table_name, column_name)]
        if "keys" in what:
            key = table.c[[c.name for c in table.primary_key.columns][0]]
            ids = what["keys"]
            for start in range(0, len(ids), 500):
                conn.execute(update(table).where(key.in_(ids[start : start + 500]), column == keep_id).values({column.name: merged_id}))
        if "keyed" in what:
            primary = [table.c[c.name] for c in table.primary_key.columns]
            for values in what["keyed"]:
                conn.execute(update(table).where(*[c == v for c, v in zip(primary, values)], column == keep_id).values({column.name: merged_id}))
        for moved_row in what.get("rows", []):
            _split_keyed_row(conn, table, column, keep_id, merged_id, moved_row)
    conn.execute(update(person_merges).where(person_merges.c.id == record["id"]).values(split_at=now()))
    return keep_id


def merge_history(conn: Connection) -> list[dict]:
    """Every recorded merge, newest first: who was folded into whom, when, why, and whether it was split."""
    kept_names = dict(conn.execute(select(people.c.id, people.c.name)).all())
    rows = conn.execute(select(person_merges).order_by(person_merges.c.id.desc())).mappings()
    return [
        {
            "merged_id": r["merged_id"], "merged": r["merged_name"], "kept_id": r["kept_id"], "kept": kept_names.get(r["kept_id"]),
            "merged_at": r["merged_at"], "split_at": r["split_at"], "evidence": r["evidence"],
        }
        for r in rows
    ]


def _column_value(column, value):
    if value is None:
        return None
    if isinstance(column.type, Boolean):
        return bool(value) if not isinstance(value, str) else value.lower() in ("1", "true")
    return value


def _declared_together(aliases: dict[str, list[str]], conn: Connection, keep_id: int, keys: list[str]) -> str | None:
    """The alias entry naming one of the folded keys together with a key of the kept person, if any."""
    kept_keys = {row[0] for row in conn.execute(select(identities.c.key).where(identities.c.person_id == keep_id))} - set(keys)
    for canonical, others in aliases.items():
        entry = {identity_key("", canonical)} | {alias_key(other) for other in others}
        if entry & set(keys) and entry & kept_keys:
            return ", ".join([canonical, *others])
    return None


def apply_aliases(conn: Connection, aliases: dict[str, list[str]]) -> int:
    """Merge the people ``[identities.aliases]`` declares to be one; returns how many were folded in.

    The resolver applies an alias to identities it meets from then on; an alias
    added after both addresses were seen must also join the two people already
    stored. Each entry's people fold into the canonical address's person (or,
    before that address is seen, into the first of them). Idempotent.
    """
    merged = 0
    for canonical, others in aliases.items():
        keys = [identity_key("", canonical)] + [alias_key(other) for other in others]
        owners = dict(conn.execute(select(identities.c.key, identities.c.person_id).where(identities.c.key.in_(keys))).all())
        found = [owners[key] for key in keys if key in owners]
        if not found:
            continue
        keep = owners.get(keys[0], min(found))
        for person_id in sorted(set(found) - {keep}):
            merge_people(conn, keep, person_id)
            merged += 1
    return merged


def _merge_keyed_rows(conn, table, column, keep_id, merge_id, primary) -> list[dict]:
    """Move the folded person's rows of a composite-key table; a row the kept person already has is summed into it.

    Returns each moved row (its values, and whether it was summed into an existing row) for a split.
    """
    others = [table.c[name] for name in primary if name != column.name]
    value_columns = [c for c in table.columns if c.name not in primary]
    rows = conn.execute(select(table).where(column == merge_id)).mappings().all()
    moved = []
    for row in rows:
        match = [other == row[other.name] for other in others]
        existing = conn.execute(select(table).where(column == keep_id, *match)).mappings().first()
        if existing is None:
            conn.execute(update(table).where(column == merge_id, *match).values({column.name: keep_id}))
            moved.append({"values": {k: row[k] for k in row.keys()}, "joined": False})
            continue
        summed = {c.name: (existing[c.name] or 0) + (row[c.name] or 0) for c in value_columns if _is_count(row[c.name])}
        if summed:
            conn.execute(update(table).where(column == keep_id, *match).values(**summed))
        conn.execute(table.delete().where(column == merge_id, *match))
        moved.append({"values": {k: row[k] for k in row.keys()}, "joined": True})
    return moved


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _split_keyed_row(conn, table, column, keep_id, merged_id, moved_row) -> None:
    values = moved_row["values"]
    primary = [c.name for c in table.primary_key.columns]
    match = [table.c[name] == values[name] for name in primary if name != column.name]
    if not moved_row["joined"]:
        conn.execute(update(table).where(column == keep_id, *match).values({column.name: merged_id}))
        return
    existing = conn.execute(select(table).where(column == keep_id, *match)).mappings().first()
    if existing is None:
        return
    counts = {c.name: (existing[c.name] or 0) - (values[c.name] or 0) for c in table.columns if c.name not in primary and _is_count(values.get(c.name))}
    if counts:
        conn.execute(update(table).where(column == keep_id, *match).values(**counts))
    conn.execute(insert(table).values({**values, column.name: merged_id}))


def find_person(conn: Connection, query: str) -> int:
    """A person by id, identity (email or github:login) or exact name; raises LookupError."""
    if query.isdigit():
        row = conn.execute(select(people.c.id).where(people.c.id == int(query))).first()
        if row:
            return row[0]
    key = identity_key("", query) if ("@" in query or query.startswith("github:")) else None
    if key:
        row = conn.execute(select(identities.c.person_id).where(identities.c.key == key)).first()
        if row:
            return row[0]
    rows = conn.execute(select(people.c.id).where(func.lower(people.c.name) == query.casefold())).all()
    if len(rows) == 1:
        return rows[0][0]
    if len(rows) > 1:
        raise LookupError(f"'{query}' names {len(rows)} people; use an email or id")
    raise LookupError(f"no person matches '{query}'")
