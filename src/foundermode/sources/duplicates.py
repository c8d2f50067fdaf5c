"""The same person under several identities: proposals to merge, with their evidence, and merging them.

``.mailmap``, the resolver's own joins (noreply addresses, ``merge_same_name``)
and ``[identities.aliases]`` settle identities as they are met; what is left is
found here, after the fact, across everyone stored. A proposal is a pair of
people and the rules that link them, each with its evidence, and a confidence:

====================================================================  ==========
rule                                                                  confidence
====================================================================  ==========
same full name (accents, case and spacing aside) and the same
address name (the part before ``@``) at different domains             0.95
a GitHub noreply address whose login is the other's address name
or GitHub login, under the same name                                  0.95
same full name (two words or more)                                    0.9
a GitHub noreply login that is the other's address name               0.8
same first and last name, a middle name on one side, and an address
of one spelling the other's name (``rafaelmfranca``, ``rafael.franca``) 0.85
same first and last name, a middle name on one side                   0.6
same one-word name                                                    0.5
====================================================================  ==========

A pair's confidence is that of its strongest rule. Never proposed: bots, pair
identities ("Ada Lovelace + Bo Brown", "A and B"), generic address names
(``info``, ``dev``, ``me`` ...) as evidence, and pairs a ``people split``
separated (a split is the leader's word that they are two people).
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select

from ..errors import InputError, NotFound
from ..store.schema import commits, identities, people
from ..store.schema_people import person_merges
from .identities import merge_many

SAME_NAME_AND_ADDRESS = 0.95
NOREPLY_SAME_NAME = 0.95
SAME_NAME = 0.9
SPELLED_MIDDLE_NAME = 0.85
NOREPLY_LOGIN = 0.8
MIDDLE_NAME = 0.6
ONE_WORD_NAME = 0.5
DEFAULT_MIN_CONFIDENCE = 0.85

GENERIC_ADDRESS_NAMES = frozenset(
    "admin code contact dev developer email git github hello hi info mail me noreply no-reply office root "
    "support team test user web webmaster work".split()
)
PAIR_NAME = re.compile(r"\s(?:\+|&|and|with)\s", re.IGNORECASE)


def normalised_name(name: str | None) -> str:
    """'  Rafael  FRANÇA ' -> 'rafael franca': case, accents, punctuation and spacing aside."""
    decomposed = unicodedata.normalize("NFKD", name or "")
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    letters = re.sub(r"[^\w\s]", " ", letters.casefold()).replace("_", " ")
    return " ".join(letters.split())


def address_name(email: str | None) -> str | None:
    """The part before '@', without a '+tag' and separators: 'Rafael.Franca+x@a.com' -> 'rafaelfranca'."""
    if not email or "@" not in email:
        return None
    local = email.split("@", 1)[0].split("+", 1)[0].casefold()
    squeezed = re.sub(r"[._-]", "", local)
    if len(squeezed) < 3 or squeezed in GENERIC_ADDRESS_NAMES or local in GENERIC_ADDRESS_NAMES:
        return None
    return squeezed


def spellings(name: str) -> set[str]:
    """Address names a person of this normalised name is likely to use: first+last, first+middle initial+last, initial+last, the whole name."""
    words = name.split()
    if len(words) < 2:
        return set()
    first, last, middle = words[0], words[-1], words[1:-1]
    out = {first + last, first[0] + last, "".join(words)}
    if middle:
        out.add(first + "".join(w[0] for w in middle) + last)
    return out


@dataclass
class Candidate:
    """One stored person as the rules see them."""

    person_id: int
    name: str
    normalised: str
    emails: list[str]
    address_names: set[str]
    logins: set[str]  # GitHub logins from noreply addresses
    commits: int
    in_org_chart: bool
    last_active: int = 0  # the latest authored commit, epoch seconds (0: none)


@dataclass
class Proposal:
    keep_id: int
    other_id: int
    keep_name: str
    other_name: str
    confidence: float
    rules: list[str]
    evidence: list[str]
    keep_emails: list[str] = field(default_factory=list)
    other_emails: list[str] = field(default_factory=list)
    keep_commits: int = 0
    other_commits: int = 0
    keep_last_active: int = 0
    other_last_active: int = 0

    @property
    def pair(self) -> str:
        return f"{self.keep_id}+{self.other_id}"


def candidates(conn: Connection) -> list[Candidate]:
    counts, last = {}, {}
    for author_id, count, latest in conn.execute(select(commits.c.author_id, func.count(), func.max(commits.c.authored_at)).group_by(commits.c.author_id)):
        counts[author_id], last[author_id] = count, latest or 0
    keyed: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
    for person_id, key, email in conn.execute(select(identities.c.person_id, identities.c.key, identities.c.email)):
        keyed[person_id].append((key, email))
    out = []
    for row in conn.execute(select(people.c.id, people.c.name, people.c.is_bot, people.c.in_org_chart)).mappings():
        if row["is_bot"] or PAIR_NAME.search(row["name"] or ""):
            continue
        ids = keyed.get(row["id"], [])
        logins = {key.split(":", 1)[1] for key, _ in ids if key.startswith("github:")}
        emails = sorted({email for key, email in ids if email and not key.startswith("github:")})
        names = {n for n in (address_name(e) for e in emails) if n}
        out.append(Candidate(row["id"], row["name"], normalised_name(row["name"]), sorted({e for _, e in ids if e}), names, logins, counts.get(row["id"], 0), bool(row["in_org_chart"]), last.get(row["id"], 0)))
    return out


def separated_pairs(conn: Connection) -> set[frozenset[int]]:
    """Pairs a ``people split`` took apart: never proposed again."""
    rows = conn.execute(select(person_merges.c.kept_id, person_merges.c.merged_id).where(person_merges.c.split_at.is_not(None)))
    return {frozenset(pair) for pair in rows if None not in pair}


def link(a: Candidate, b: Candidate) -> list[tuple[float, str, str]]:
    """(confidence, rule, evidence) for every rule linking two people."""
    found = []
    same_name = a.normalised and a.normalised == b.normalised
    full = len(a.normalised.split()) >= 2
    shared_address = sorted(a.address_names & b.address_names)
    if same_name and full and shared_address:
        addresses = [e for e in a.emails + b.emails if address_name(e) in shared_address]
        found.append((SAME_NAME_AND_ADDRESS, "same name and address name", f"both named '{a.name}' and using the address name '{shared_address[0]}' ({', '.join(addresses)})"))
    if same_name:
        if full:
            found.append((SAME_NAME, "same name", f"both named '{a.normalised}' ('{a.name}', '{b.name}')"))
        else:
            found.append((ONE_WORD_NAME, "same one-word name", f"both named '{a.name}' (one word: common among different people)"))
    for one, other in ((a, b), (b, a)):
        for login in sorted(one.logins):
            login_key = re.sub(r"[._-]", "", login)
            if login_key in other.address_names or login in other.logins:
                if same_name:
                    found.append((NOREPLY_SAME_NAME, "noreply login, same name", f"GitHub login '{login}' (noreply address of '{one.name}') is the address name of '{other.name}' under the same name"))
                else:
                    found.append((NOREPLY_LOGIN, "noreply login", f"GitHub login '{login}' (noreply address of '{one.name}') is the address name of '{other.name}' ({', '.join(other.emails)})"))
    if not same_name:
        wa, wb = a.normalised.split(), b.normalised.split()
        if len(wa) >= 2 and len(wb) >= 2 and wa[0] == wb[0] and wa[-1] == wb[-1] and len(wa) != len(wb):
            spelled = sorted((a.address_names & spellings(b.normalised)) | (b.address_names & spellings(a.normalised)))
            if spelled:
                found.append((SPELLED_MIDDLE_NAME, "middle name, address spells the name", f"'{a.name}' and '{b.name}' share first and last name; the address name '{spelled[0]}' spells the other's"))
            else:
                found.append((MIDDLE_NAME, "middle name", f"'{a.name}' and '{b.name}' share first and last name"))
    return found


def proposals(conn: Connection, min_confidence: float = 0.0) -> list[Proposal]:
    """Merge proposals among everyone stored, strongest first (then by the work they join)."""
    people_ = candidates(conn)
    separated = separated_pairs(conn)
    # Only people sharing something are compared: a name, first+last words, an address name or a login.
    buckets: dict[tuple[str, str], list[Candidate]] = defaultdict(list)
    for person in people_:
        words = person.normalised.split()
        if person.normalised:
            buckets[("name", person.normalised)].append(person)
        if len(words) >= 2:
            buckets[("ends", words[0] + " " + words[-1])].append(person)
        for key in person.address_names | {re.sub(r"[._-]", "", login) for login in person.logins}:
            buckets[("address", key)].append(person)
    pairs: set[tuple[int, int]] = set()
    by_id = {p.person_id: p for p in people_}
    for members in buckets.values():
        if len(members) < 2 or len(members) > 50:  # a bucket of fifty is a common name or address, not a person
            continue
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if a.person_id != b.person_id:
                    pairs.add((min(a.person_id, b.person_id), max(a.person_id, b.person_id)))
    out = []
    for x, y in pairs:
        if frozenset((x, y)) in separated:
            continue
        a, b = by_id[x], by_id[y]
        found = link(a, b)
        if not found:
            continue
        confidence = max(c for c, _, _ in found)
        if confidence < min_confidence:
            continue
        keep, other = sorted((a, b), key=lambda p: kept_first(p.person_id, p.in_org_chart, p.last_active, p.commits))
        found.sort(key=lambda f: -f[0])
        out.append(Proposal(
            keep.person_id, other.person_id, keep.name, other.name, confidence,
            [rule for _, rule, _ in found], [evidence for _, _, evidence in found],
            keep.emails, other.emails, keep.commits, other.commits, keep.last_active, other.last_active,
        ))
    return sorted(out, key=lambda p: (-p.confidence, -(p.keep_commits + p.other_commits), p.keep_id, p.other_id))


def kept_first(person_id: int, in_org_chart: bool, last_active: int, commits: int) -> tuple:
    """The one rule for whose record (and name) a merged person keeps: sort key, kept first.

    The org chart's person wins (its name is the organisation's word); else the
    one active most recently, since a leader recognises the name people use
    today ("Rafael Mendonça França", not the older "Rafael França" with more
    commits); then the most commits, then the lowest id.
    """
    return (not in_org_chart, -(last_active or 0), -commits, person_id)


@dataclass
class MergeGroup:
    keep_id: int
    keep_name: str
    merged: list[tuple[int, str]]  # (person id, name) folded into keep
    evidence: list[str]
    commits: int = 0  # of the whole group


def group(found: list[Proposal], org: set[int] | None = None) -> list[MergeGroup]:
    """Proposals that share a person joined into one group (nothing written).

    A group is kept under the person ``kept_first`` puts first: its name is the one the merged person carries.
    """
    org = org or set()
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    rank = {}
    for p in found:
        rank[p.keep_id] = (p.keep_commits, p.keep_name, p.keep_last_active)
        rank[p.other_id] = (p.other_commits, p.other_name, p.other_last_active)
    for p in found:
        ra, rb = root(p.keep_id), root(p.other_id)
        if ra != rb:
            winner, loser = sorted((ra, rb), key=lambda x: kept_first(x, x in org, rank[x][2], rank[x][0]))
            parent[loser] = winner
    groups: dict[int, MergeGroup] = {}
    evidence_of: dict[int, list[str]] = defaultdict(list)
    for p in found:
        evidence_of[root(p.keep_id)].append(f"{p.keep_name} / {p.other_name} ({p.confidence:.2f}): " + "; ".join(p.evidence))
    for person in sorted(rank):
        top = root(person)
        if top == person:
            continue
        entry = groups.setdefault(top, MergeGroup(top, rank[top][1], [], evidence_of[top], commits=rank[top][0]))
        entry.merged.append((person, rank[person][1]))
        entry.commits += rank[person][0]
    return sorted(groups.values(), key=lambda g: g.keep_id)


def _org_members(conn: Connection) -> set[int]:
    return {person_id for (person_id,) in conn.execute(select(people.c.id).where(people.c.in_org_chart.is_(True)))}


def accept(conn: Connection, min_confidence: float = DEFAULT_MIN_CONFIDENCE, pairs: list[str] | None = None, evidence: str = "people duplicates") -> list[MergeGroup]:
    """Merge every proposal at or above ``min_confidence`` (or exactly the chosen ``pairs``, 'KEEP+OTHER').

    Proposals that share a person join into one group (``group``). Everything
    runs on ``conn``: the caller's one transaction, so a failure leaves
    nothing merged. Each merge is recorded with ``evidence`` and its rules,
    and can be split.
    """
    if not 0 <= min_confidence <= 1:
        raise InputError(f"the confidence must be between 0 and 1 (got {min_confidence})")
    found = proposals(conn, 0.0 if pairs else min_confidence)
    if pairs:
        wanted = {_pair_key(p) for p in pairs}
        by_pair = {frozenset((p.keep_id, p.other_id)): p for p in found}
        unknown = sorted(" + ".join(map(str, sorted(w))) for w in wanted if w not in by_pair)
        if unknown:
            raise InputError(f"not among the proposals: {', '.join(unknown)}")
        found = [by_pair[w] for w in wanted]
    groups = group(found, _org_members(conn) if found else set())
    merge_groups(conn, groups, evidence)
    return groups


def merge_groups(conn: Connection, groups: list[MergeGroup], evidence: str) -> None:
    """Fold every group's people into its kept person, in one batched merge (each fold recorded for ``people split``)."""
    merge_many(conn, [(g.keep_id, person_id, f"{evidence}: " + " | ".join(g.evidence)) for g in groups for person_id, _name in g.merged])


# -- pending proposals: what every surface says, and what ingest may apply -------------------

PROPOSE = "propose"
AUTO = "auto"
MERGE_MODES = (PROPOSE, AUTO)
AUTO_MIN_CONFIDENCE = 0.95  # the same full name and address name, or a noreply login under the same name


@dataclass
class PendingMerges:
    """People the store holds under several identities, by the proposals at or above ``min_confidence``."""

    min_confidence: float
    groups: list[MergeGroup]  # one per person who appears several times, largest first
    weaker: int = 0  # proposals below min_confidence, to look at by hand

    @property
    def people(self) -> int:
        """How many people appear under several identities."""
        return len(self.groups)

    @property
    def records(self) -> int:
        """How many stored people they make (what the figures count today)."""
        return sum(1 + len(g.merged) for g in self.groups)

    @property
    def largest(self) -> MergeGroup | None:
        return self.groups[0] if self.groups else None

    def as_dict(self) -> dict:
        return {
            "people": self.people, "records": self.records, "min_confidence": self.min_confidence, "weaker_proposals": self.weaker,
            "groups": [
                {"keep_id": g.keep_id, "keep": g.keep_name, "commits": g.commits, "merge": [{"id": i, "name": n} for i, n in g.merged], "evidence": g.evidence}
                for g in self.groups
            ],
        }


def pending_merges(conn: Connection, min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> PendingMerges:
    """The one count every surface shows: people who appear under several identities, largest group first.

    Groups are the proposals at or above ``min_confidence`` joined as merging
    them would join them; the proposals below it are counted as ``weaker``.
    """
    found = proposals(conn)
    strong = [p for p in found if p.confidence >= min_confidence]
    groups = group(strong, _org_members(conn) if strong else set())
    groups.sort(key=lambda g: (-len(g.merged), -g.commits, g.keep_id))
    return PendingMerges(min_confidence, groups, weaker=len(found) - len(strong))


def accept_group(conn: Connection, keep_id: int, min_confidence: float = DEFAULT_MIN_CONFIDENCE, evidence: str = "people duplicates") -> MergeGroup:
    """Merge the one pending group kept under ``keep_id`` (as ``pending_merges`` lists it); NotFound when there is none (merged or split since)."""
    found = next((g for g in pending_merges(conn, min_confidence).groups if g.keep_id == keep_id), None)
    if found is None:
        raise NotFound(f"no pending merge kept under person {keep_id}: merged or split since the list was read")
    merge_groups(conn, [found], evidence)
    return found


def merge_mode(config) -> str:
    """``[identities] merge``: "propose" (the default) or "auto"."""
    return config.settings.identities.merge if config is not None else PROPOSE


@dataclass
class Settled:
    """What ingest did with the identities: the groups merged (``[identities] merge = "auto"``) and what is still pending."""

    merged: list[MergeGroup]
    pending: PendingMerges

    @property
    def merged_people(self) -> int:
        return sum(len(g.merged) for g in self.merged)


def settle(store, config) -> Settled:
    """After an ingest or a sync: merge the strongest proposals when the settings say "auto", then count what is pending."""
    merged: list[MergeGroup] = []
    if merge_mode(config) == AUTO:
        with store.write() as conn:
            merged = accept(conn, AUTO_MIN_CONFIDENCE, evidence="merged at ingest ([identities] merge = \"auto\")")
    with store.read() as conn:
        return Settled(merged, pending_merges(conn))


def _pair_key(text: str) -> frozenset[int]:
    parts = [p.strip() for p in re.split(r"[+,:]", text) if p.strip()]
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise InputError(f"a proposal is two person ids joined by '+', as listed (got '{text}')")
    return frozenset(int(p) for p in parts)
