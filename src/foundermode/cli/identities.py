"""How the CLI words identities: one wording for ingest, sync, status and people (the figures come from sources.duplicates)."""
from __future__ import annotations

from ..present.sanitize import clean_line, markup


def several(people: int, records: int) -> str:
    """'545 people appear under several identities and count as 1,233' (one wording for every command)."""
    if people == 1:
        return f"1 person appears under several identities and counts as {records:,}"
    return f"{people:,} people appear under several identities and count as {records:,}"


def identities_line(settled) -> list[str]:
    """What ingest and sync say about identities (``duplicates.Settled``), as rich markup: nothing when nothing is pending or merged."""
    lines = []
    if settled is None:
        return lines
    if settled.merged:
        lines.append(
            f"[bold]identities[/]: merged {settled.merged_people} into {len(settled.merged)} "
            f"(the strongest proposals, as \\[identities] merge = \"auto\" asks); `foundermode people merges` lists them, `foundermode people split ID` undoes one"
        )
    pending = settled.pending
    if pending.people:
        largest = pending.largest
        names = sorted({name for _id, name in largest.merged if name != largest.keep_name})
        also = f", also named {', '.join(markup(clean_line(n)) for n in names[:3])}{f' and {len(names) - 3} more' if len(names) > 3 else ''}" if names else ""
        lines.append(
            f"[bold yellow]identities[/]: {several(pending.people, pending.records)} (older addresses look departed); the largest: {markup(clean_line(largest.keep_name))} "
            f"counts as {len(largest.merged) + 1}{also}. Review: `foundermode people duplicates`; merge: `foundermode people merge --accept-proposals`"
        )
    return lines
