"""The outbox's write side: enqueue in the caller's transaction, idempotent by key."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from foundermode.notify.outbox import enqueue, list_messages, requeue, RetryError
from foundermode.store.schema_notify import outbox


def _enqueue(conn, key="esc-1-step-0-email", **overrides):
    values = dict(
        channel="email",
        recipient="owner@example.com",
        subject="GPU cluster is blocking 2 people",
        body="Heard twice.",
        payload={"bottleneck": 7},
        idempotency_key=key,
    )
    values.update(overrides)
    return enqueue(conn, **values)


def _count(store):
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(outbox)).scalar_one()


def test_enqueue_inserts_a_pending_message_due_now(store):
    with store.write() as conn:
        message_id = _enqueue(conn, attachments=[{"filename": "a.txt", "content_type": "text/plain", "content": "hi"}], escalation_id=3, now=1_000)
    assert isinstance(message_id, int)
    with store.read() as conn:
        [row] = list_messages(conn)
    assert row["id"] == message_id
    assert (row["state"], row["attempts"], row["next_attempt_at"], row["escalation_id"]) == ("pending", 0, 1_000, 3)


def test_duplicate_key_inserts_nothing(store):
    with store.write() as conn:
        first = _enqueue(conn)
    with store.write() as conn:
        second = _enqueue(conn, subject="a different subject, same key")
    assert first is not None and second is None
    assert _count(store) == 1
    with store.read() as conn:
        assert list_messages(conn)[0]["subject"] == "GPU cluster is blocking 2 people"


def test_duplicate_key_in_the_same_transaction(store):
    with store.write() as conn:
        assert _enqueue(conn) is not None
        assert _enqueue(conn) is None
    assert _count(store) == 1


def test_rolled_back_transaction_leaves_no_message(store):
    with pytest.raises(RuntimeError):
        with store.write() as conn:
            _enqueue(conn)
            raise RuntimeError("the escalation decision failed")
    assert _count(store) == 0


def test_concurrent_writers_with_the_same_keys(store):
    """Eight threads enqueue the same 20 keys at once: 20 rows, each key returned once."""
    keys = [f"k{i}" for i in range(20)]
    barrier = threading.Barrier(8)
    inserted: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def writer():
        try:
            barrier.wait()
            for key in keys:
                with store.write() as conn:
                    got = _enqueue(conn, key=key)
                if got is not None:
                    with lock:
                        inserted.append(got)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(inserted) == len(set(inserted)) == 20
    assert _count(store) == 20


def test_unknown_channel_and_bad_attachment_are_refused(store):
    with store.write() as conn:
        with pytest.raises(ValueError, match="unknown channel"):
            _enqueue(conn, channel="pager")
        with pytest.raises(ValueError, match="attachment 1"):
            _enqueue(conn, attachments=[{"filename": "x.ics"}])
    assert _count(store) == 0


def test_requeue_only_dead_letters(store):
    with store.write() as conn:
        message_id = _enqueue(conn)
    with store.write() as conn:
        with pytest.raises(RetryError, match="pending"):
            requeue(conn, message_id)
        with pytest.raises(RetryError, match="no outbox message"):
            requeue(conn, 999)
        conn.execute(outbox.update().values(state="dead", attempts=6, last_error="boom"))
        requeue(conn, message_id, now=5)
    with store.read() as conn:
        [row] = list_messages(conn)
    assert (row["state"], row["attempts"], row["next_attempt_at"], row["last_error"]) == ("pending", 0, 5, "boom")
