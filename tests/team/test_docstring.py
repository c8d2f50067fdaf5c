"""The team package's docstring example runs (it did not: issue 13)."""
from __future__ import annotations

import doctest

import foundermode.team


def test_the_team_docstring_example_runs():
    result = doctest.testmod(foundermode.team, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 8 and result.failed == 0
