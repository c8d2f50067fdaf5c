from foundermode.brief.render import _amount


def test_a_bars_value_reads_as_words_singular_for_one():
    assert [_amount(1, "commits"), _amount(2, "commits"), _amount(1.5, "h"), _amount(40, "%"), _amount(3, "")] == ["1 commit", "2 commits", "1.5 h", "40%", "3"]


def test_the_talk_to_heading_names_the_window_not_always_this_week():
    from foundermode.scope import DAY, Scope

    assert Scope(since=0, until=7 * DAY).period() == "this week"
    assert Scope(since=0, until=30 * DAY).period() == "in these 30 days"
