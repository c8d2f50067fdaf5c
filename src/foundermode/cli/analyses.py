"""foundermode analyses / foundermode analysis NAME: every registered analysis, built from the registry.

The list, the command's help and its choices come from ``foundermode.analyses.ANALYSES``
(code-maat's ``supported-analysis``); a new analysis needs no CLI code.
"""
from __future__ import annotations

from typing import List, Optional

import typer

from .. import analyses as registry
from ..errors import FoundermodeError, exit_code
from ..reports import Format
from ..scope import SINCE_HELP, UNTIL_HELP
from .common import FormatOption, JsonOption, app, fail, get_config, opened_store, output

_LIST = "\n\n".join(
    f"{a.name} (principle {a.principle}, default {a.default_span}): {a.summary}"
    + (f" Options: {', '.join(p.name for p in a.params)}." if a.params else "")
    for a in registry.ANALYSES
)


@app.command("analyses")
def analyses_cmd(fmt: Format = FormatOption, as_json: bool = JsonOption):
    """Every analysis foundermode has, by principle, with its default window."""
    columns = None if as_json or fmt != Format.table else ["name", "principle", "default_days", "filtered", "summary"]
    output(registry.catalogue(), fmt, json_flag=as_json, columns=columns, title="Analyses")


@app.command("analysis", help=f"Run one registered analysis and print its result (JSON).\n\n{_LIST}")
def analysis_cmd(
    name: str = typer.Argument(..., help=f"One of: {', '.join(registry.names())}."),
    since: Optional[str] = typer.Option(None, "--since", help=SINCE_HELP),
    until: Optional[str] = typer.Option(None, "--until", help=UNTIL_HELP),
    days: Optional[float] = typer.Option(None, "--days", help="Window length in days when --since is not given (default: the analysis's own)."),
    repo: Optional[List[str]] = typer.Option(None, "--repo", "-r", help="Repository name, path or id (repeatable). Default: all."),
    team: Optional[str] = typer.Option(None, "--team", "-t", help="Only people of this org-chart team."),
    option: Optional[List[str]] = typer.Option(None, "--option", "-o", help="One of the analysis's declared options, as name=value (repeatable): see 'foundermode analyses --json'."),
    as_json: bool = JsonOption,
):
    """(help text above, built from the registry)"""
    config = get_config()
    options = {}
    for given in option or []:
        key, equals, value = given.partition("=")
        if not equals:
            fail(f"--option takes name=value, not '{given}'", 2)
        options[key.strip()] = value
    with opened_store() as store:
        try:
            result = registry.run(store, config, name, since=since, until=until, days=days, repos=repo, team=team, options=options, text=True)
        except FoundermodeError as error:  # the one mapping (errors.py); anything else is a bug
            fail(str(error), exit_code(error))
    output(result, json_flag=True)
