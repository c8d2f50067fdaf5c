"""Notifications: an outbox table and its delivery.

* ``outbox.enqueue(conn, ...)``: write a message in the caller's transaction,
  idempotent by key.
* ``deliver.deliver_due(store, config, now)``: claim, send, record; retries with
  exponential backoff, dead letters after ``[notify] max_attempts``.
* ``invite.build_invite(...)``: an iCalendar REQUEST for a call.
* ``channels``: SMTP email (invites as text/calendar; method=REQUEST), the Slack
  incoming webhook, the HMAC-signed generic webhook (and how to verify it).
* ``settings``: the ``[notify]`` section of foundermode.toml.
"""
