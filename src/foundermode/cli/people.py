"""People and their identities: merge by hand or by proposal, list the proposals, undo a merge."""
from __future__ import annotations

from typing import Optional

import typer

from ..errors import FoundermodeError
from ..present.sanitize import markup
from ..reports import Format
from .common import FormatOption, JsonOption, LimitOption, console, fail, get_config, opened_store, output
from .core import people_app

ConfidenceOption = typer.Option(
    None, "--min-confidence", min=0.0, max=1.0,
    help="Only proposals at or above this confidence (0-1; `people duplicates` lists all, merging takes 0.85 by default).",
)


@people_app.command("duplicates")
def people_duplicates(
    min_confidence: Optional[float] = ConfidenceOption,
    fmt: Format = FormatOption,
    as_json: bool = JsonOption,
    limit: Optional[int] = LimitOption,
):
    """Proposals to merge people who look like one: same name, GitHub noreply logins, address names; with the evidence and a confidence."""
    from ..sources.duplicates import proposals  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with opened_store() as store, store.read() as conn:
        found = proposals(conn, min_confidence or 0.0)
    structured = as_json or fmt != Format.table
    rows = [
        {
            "pair": p.pair, "confidence": p.confidence, "keep": p.keep_name, "keep_id": p.keep_id, "merge": p.other_name, "merge_id": p.other_id,
            "commits": f"{p.keep_commits}+{p.other_commits}" if not structured else [p.keep_commits, p.other_commits],
            "emails": [p.keep_emails, p.other_emails] if structured else "\n".join(p.keep_emails + ["→"] + p.other_emails),
            "evidence": p.evidence if structured else "\n".join(p.evidence),
            "rules": p.rules,
        }
        for p in found
    ]
    columns = None if structured else ["pair", "confidence", "keep", "merge", "commits", "emails", "evidence"]
    output(rows, fmt, as_json, columns=columns, title="Proposed merges (people merge --accept-proposals, or --pairs)", limit=limit)


@people_app.command("merge")
def people_merge(
    keep: Optional[str] = typer.Argument(None, help="Person to keep (id, email or name)"),
    other: Optional[str] = typer.Argument(None, help="Person folded into the first"),
    accept_proposals: bool = typer.Option(False, "--accept-proposals", help="Merge every proposal of `people duplicates` at or above --min-confidence, in one transaction."),
    pairs: Optional[str] = typer.Option(None, "--pairs", help="Only these proposals, as listed by `people duplicates` (comma-separated, e.g. 125+11,414+3678)."),
    min_confidence: Optional[float] = ConfidenceOption,
    as_json: bool = JsonOption,
):
    """Merge two people, or the proposals of `people duplicates`: identities and work move to the kept person and stay there on later ingests (`people split` undoes)."""
    from ..sources.duplicates import DEFAULT_MIN_CONFIDENCE, accept  # deferred: SQLAlchemy — keeps foundermode --help from importing it
    from ..sources.identities import find_person, merge_people  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    by_proposal = accept_proposals or pairs is not None
    if by_proposal and (keep or other):
        fail("give two people, or --accept-proposals / --pairs, not both")
    if not by_proposal and not (keep and other):
        fail("give the person to keep and the one to fold in, or --accept-proposals")
    with opened_store() as store:
        try:
            with store.write() as conn:
                if by_proposal:
                    chosen = [p.strip() for p in pairs.split(",") if p.strip()] if pairs is not None else None
                    groups = accept(conn, DEFAULT_MIN_CONFIDENCE if min_confidence is None else min_confidence, chosen)
                else:
                    keep_id, other_id = find_person(conn, keep), find_person(conn, other)
                    merge_people(conn, keep_id, other_id)
        except (FoundermodeError, LookupError, ValueError) as error:
            fail(str(error))
    if not by_proposal:
        console.print(f"merged person {other_id} into {keep_id}")
        return
    if as_json:
        output([{"keep_id": g.keep_id, "keep": g.keep_name, "merged": [{"id": i, "name": n} for i, n in g.merged]} for g in groups], json_flag=True)
        return
    for group in groups:
        folded = ", ".join(f"{name} ({person_id})" for person_id, name in group.merged)
        console.print(f"{markup(group.keep_name)} ({group.keep_id}) now includes {markup(folded)}", highlight=False)
    console.print(f"{sum(len(g.merged) for g in groups)} people merged into {len(groups)}; `people split ID` undoes one.", highlight=False)


@people_app.command("split")
def people_split(person: int = typer.Argument(..., help="The id of the person a merge folded away (shown by `people merge` and `people merges`)")):
    """Undo a merge: the folded person comes back with their identities and work, and is never proposed with the other again."""
    from ..sources.identities import split_merge  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with opened_store() as store:
        try:
            with store.write() as conn:
                kept = split_merge(conn, person, get_config().aliases)
        except (FoundermodeError, LookupError, ValueError) as error:
            fail(str(error))
    console.print(f"person {person} split from {kept}")


@people_app.command("merges")
def people_merges(fmt: Format = FormatOption, as_json: bool = JsonOption, limit: Optional[int] = LimitOption):
    """The merges made, newest first, with their evidence; split ones marked."""
    from ..sources.identities import merge_history  # deferred: SQLAlchemy — keeps foundermode --help from importing it

    with opened_store() as store, store.read() as conn:
        rows = merge_history(conn)
    output(rows, fmt, as_json, title="Merges", limit=limit)
