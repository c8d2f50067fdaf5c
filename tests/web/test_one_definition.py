"""Reproductions of issue 13's drift, kept fixed: the escalation chain's recipients on the page, dead code gone."""
from __future__ import annotations

import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[2] / "src" / "foundermode"


def test_the_bottleneck_page_shows_each_steps_recipient(org):
    """The chain snapshot's steps carry ``to``; the page read ``s.recipient``, so recipients never showed."""
    bottleneck_id = org.escalated_gpu_bottleneck()
    page = org.client("leader").get(f"/bottlenecks/{bottleneck_id}")
    assert page.status_code == 200, page.text
    escalations = page.text.split('id="escalations"', 1)[1].split("</section>", 1)[0]
    steps = re.findall(r"<li>(.*?)</li>", escalations, re.S)
    assert steps and "owner (grace@example.com)" in re.sub(r"<[^>]+>", "", steps[0])  # the name may be a link to their page


def test_dead_code_is_gone():
    text = "\n".join(path.read_text(encoding="utf-8") for path in SOURCE.rglob("*.py"))
    for name in ("verify_signature", "monthly_files_by_person", "leader_may_correct", "parse_moment", "queries_epoch"):
        assert f"def {name}(" not in text, name
