from foundermode.brief.render import _amount


def test_a_bars_value_reads_as_words_singular_for_one():
    assert [_amount(1, "commits"), _amount(2, "commits"), _amount(1.5, "h"), _amount(40, "%"), _amount(3, "")] == ["1 commit", "2 commits", "1.5 h", "40%", "3"]
