"""Bulk writes below the ORM: plain tuples, the driver's executemany on SQLite,
COPY on PostgreSQL. Ingesting a large history writes hundreds of thousands of
rows; building a dict and a bound statement per row would cost more than git."""
from __future__ import annotations

from typing import Iterable, Sequence

from sqlalchemy import Connection, Table, func, select, text


def reserve_ids(conn: Connection, table: Table, count: int) -> list[int]:
    """``count`` fresh primary keys for ``table``, safe against concurrent writers.

    PostgreSQL draws them from the column's sequence; SQLite writes under
    BEGIN IMMEDIATE (one writer at a time), so max(id) + 1 onwards is free.
    """
    if count <= 0:
        return []
    if conn.dialect.name == "postgresql":
        sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}).scalar_one()
        rows = conn.execute(text("SELECT nextval(:s) FROM generate_series(1, :n)"), {"s": sequence, "n": count}).scalars().all()
        return list(rows)
    start = (conn.execute(select(func.max(table.c.id))).scalar() or 0) + 1
    return list(range(start, start + count))


def insert_rows(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return 0
    # Quoted: some columns carry reserved words ("end").
    names = ", ".join(f'"{column}"' for column in columns)
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()
        return len(rows)
    placeholders = ", ".join("?" for _ in columns)
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({placeholders})', rows)
    finally:
        cursor.close()
    return len(rows)
