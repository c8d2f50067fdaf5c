"""The web application: ``create_app(store, config)``.

Small on purpose: the app holds the store, the config and a clock, and each
principle adds its routers. ``/health`` answers without a token.
"""
from __future__ import annotations

from typing import Callable

from fastapi import FastAPI
from sqlalchemy import text

from ..config import Config
from ..store import Store
from ..store import now as clock_now
from . import api_analyses, api_bottlenecks, api_people, pages, slack
from .security import SecurityHeaders


def create_app(store: Store, config: Config, *, clock: Callable[[], int] | None = None) -> FastAPI:
    app = FastAPI(title="foundermode", description="Engineering leadership from the code.", version="0.1.0")
    app.state.store = store
    app.state.config = config
    app.state.clock = clock or clock_now  # tests pass a fixed clock

    @app.get("/health", tags=["meta"])
    def health() -> dict:
        with store.read() as conn:
            conn.execute(text("SELECT 1"))
        return {"status": "ok", "store": store.engine.dialect.name}

    app.include_router(api_analyses.router)
    app.include_router(api_bottlenecks.router)
    app.include_router(slack.router)
    app.include_router(api_people.router)  # before pages.install: /api/people/duplicates, not /api/people/{person_id}

    pages.install(app)  # the pages, the dashboard API, sessions and sign-in (web/pages.py, web/api.py, web/auth.py)

    # CSP, frame-ancestors, nosniff, Referrer-Policy, HSTS on every response (web/security.py).
    app.add_middleware(SecurityHeaders, tls_proxy=bool(config.settings.web.tls_proxy))
    return app
