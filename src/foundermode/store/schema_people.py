"""Who is here (people.py): the record of each ``people merge``, so ``people split`` can undo it.

A merge folds one person into another and deletes the first; ``moved`` keeps,
per table that references people, which rows changed hands (their keys, and
for keyed rows whether they joined a row the kept person already had), and
``person`` the folded person's own row and identity keys.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, Table, Text

from .schema import metadata

person_merges = Table(
    "person_merges",
    metadata,
    Column("id", Integer, primary_key=True),
    # Follows the kept person through later merges (merge_people rewrites every people reference).
    Column("kept_id", Integer, ForeignKey("people.id", ondelete="SET NULL"), index=True),
    Column("merged_id", Integer, nullable=False),  # the folded person's id (gone until a split)
    Column("merged_name", Text, nullable=False),
    Column("person", Text, nullable=False),  # JSON: the folded person's row and identity keys
    Column("moved", Text, nullable=False),  # JSON: {table: {column: ..., keys: [...], rows: [...]}}
    Column("evidence", Text),  # why they were merged (people duplicates), or "by hand"
    Column("merged_at", BigInteger, nullable=False),
    Column("split_at", BigInteger),  # set by people split; the record stays as history
)
