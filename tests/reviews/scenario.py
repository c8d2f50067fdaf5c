"""One small repository's code review, built to GitHub's documented schema, with its figures counted by hand.

T0 = 1_700_000_000 (2023-11-14 22:13:20 UTC); H = hour, D = day. Repository acme/api.

  #1  ada   created T0, first commit T0-1D; bob review comment T0+4H, bob APPROVED T0+5H; merged T0+2D
  #2  bob   created T0+1H, open; review requested from cy at T0+2H (still requested)
  #3  cy    created T0+3H, open draft, nobody requested
  #4  ada   created T0+1D, closed unmerged T0+2D; cy COMMENTED T0+1D+6H
  #5  dee   created T0+1D, open; cy requested T0+1D+1H (still); bob CHANGES_REQUESTED T0+1D+3H (unrequested)
  #6  dependabot[bot] created T0+2D, merged T0+2D+1H; ada APPROVED T0+2D+30m
  #7  ada   created T0+2D, merged T0+2D+3H; only ada's own COMMENTED review (T0+2D+1H): merged without review
  #8  bob   created T0+3D, first commit T0+2D+12H; dee issue comment T0+3D+1H, ada APPROVED T0+3D+2H,
            cy APPROVED T0+3D+8H, dee PENDING (not submitted); merged T0+4D
  #9  cy    created T0+3D as a draft, ready for review T0+3D+6H with bob requested (still)
  #10 ada   created T0+4D, open; cy requested T0+4D (still)
  releases: v1.0 at T0+2D+6H, v1.1 at T0+5D

Hand counts (all time; reviews by others than the author, bots nobody's reviewer or author):
  ada: opened 4 (#1 #4 #7 #10), merged 2 (#1 #7), given 2 approvals (#6 #8), received 2 (#1 bob, #4 cy), merged without review 1 (#7)
  bob: opened 2, merged 1 (#8), given 2 (#1 approve, #5 changes), received 2 (#8 ada, cy), comments given 1, waiting on him 1 (#9)
  cy:  opened 2, merged 0, given 2 (#4 commented, #8 approve), received 0, waiting on cy 3 (#2 #5 #10: three authors)
  dee: opened 1, given 0, comments 1, received 1 (#5 bob)
  matrix: bob->ada 1, bob->dee 1, cy->ada 1, ada->bob 1, cy->bob 1 (ada's approval of the bot's #6 is nobody's pair)
  time to first review (median per author): ada (4h #1, 6h #4) 5.0 h; bob 1.0 h (#8, dee's comment); dee 3.0 h; cy none
  time to merge: ada (48h, 3h) 25.5 h; bob 24 h
  lead time to deployment (DevLake): #1 first commit T0-1D -> v1.0 = 78 h; #7 (no first commit: from creation) 6 h;
     #8 T0+2D+12H -> v1.1 = 60 h; median 60 h: "high" (under a week)
  deployment days in [T0, T0+7D): 2, both in ISO week 2023-W46; W47 none: median 1 a week ("high")
"""
from __future__ import annotations

from foundermode.sources import pulls_samples as s

T0 = 1_700_000_000
H = 3600
D = 86_400
REPO = "acme/api"


def build(api: str = s.API, web: str = s.WEB) -> dict:
    """{"pulls": [...], "reviews": {n: [...]}, "timeline": {n: [...]}, "review_comments": [...], "releases": [...]}"""
    kw = {"api": api, "web": web}
    r = REPO
    pulls = [
        s.pull(r, 1, "ada", T0, merged=T0 + 2 * D, **kw),
        s.pull(r, 2, "bob", T0 + H, updated=T0 + 2 * H, requested=["cy"], **kw),
        s.pull(r, 3, "cy", T0 + 3 * H, draft=True, **kw),
        s.pull(r, 4, "ada", T0 + D, closed=T0 + 2 * D, **kw),
        s.pull(r, 5, "dee", T0 + D, updated=T0 + D + 3 * H, requested=["cy"], **kw),
        s.pull(r, 6, "dependabot[bot]", T0 + 2 * D, merged=T0 + 2 * D + H, **kw),
        s.pull(r, 7, "ada", T0 + 2 * D, merged=T0 + 2 * D + 3 * H, **kw),
        s.pull(r, 8, "bob", T0 + 3 * D, merged=T0 + 4 * D, **kw),
        s.pull(r, 9, "cy", T0 + 3 * D, updated=T0 + 3 * D + 6 * H, requested=["bob"], **kw),
        s.pull(r, 10, "ada", T0 + 4 * D, requested=["cy"], **kw),
    ]
    pulls[5]["user"]["type"] = "Bot"
    reviews = {
        1: [s.review(r, 1, "bob", "APPROVED", T0 + 5 * H, **kw)],
        4: [s.review(r, 4, "cy", "COMMENTED", T0 + D + 6 * H, **kw)],
        5: [s.review(r, 5, "bob", "CHANGES_REQUESTED", T0 + D + 3 * H, **kw)],
        6: [s.review(r, 6, "ada", "APPROVED", T0 + 2 * D + 30 * 60, **kw)],
        7: [s.review(r, 7, "ada", "COMMENTED", T0 + 2 * D + H, **kw)],
        8: [s.review(r, 8, "ada", "APPROVED", T0 + 3 * D + 2 * H, **kw), s.review(r, 8, "cy", "APPROVED", T0 + 3 * D + 8 * H, **kw),
            s.review(r, 8, "dee", "PENDING", T0 + 3 * D + 9 * H, **kw)],
    }
    timeline = {
        1: [s.timeline_committed(r, 1, "ada", T0 - D, **kw), s.timeline_reviewed(r, 1, "bob", "APPROVED", T0 + 5 * H, **kw)],
        2: [s.timeline_review_requested(r, 2, "bob", "cy", T0 + 2 * H, **kw)],
        5: [s.timeline_review_requested(r, 5, "dee", "cy", T0 + D + H, **kw)],
        8: [s.timeline_committed(r, 8, "bob", T0 + 2 * D + 12 * H, **kw), s.timeline_commented(r, 8, "dee", T0 + 3 * D + H, **kw)],
        9: [s.timeline_ready(r, 9, "cy", T0 + 3 * D + 6 * H, **kw), s.timeline_review_requested(r, 9, "cy", "bob", T0 + 3 * D + 6 * H, **kw)],
        10: [s.timeline_review_requested(r, 10, "ada", "cy", T0 + 4 * D, **kw)],
    }
    review_comments = [s.review_comment(r, 1, "bob", T0 + 4 * H, **kw)]
    releases = [s.release(r, "v1.1", T0 + 5 * D, **kw), s.release(r, "v1.0", T0 + 2 * D + 6 * H, **kw)]
    return {"pulls": pulls, "reviews": reviews, "timeline": timeline, "review_comments": review_comments, "releases": releases}


def write_export(folder, api: str = s.API) -> None:
    """The scenario as `gh api --paginate` files: pulls, reviews and timelines per pull request, review comments, releases."""
    data = build(api)
    s.write_pages(folder / "pulls.json", data["pulls"], page_size=4)
    for number, items in data["reviews"].items():
        s.write_pages(folder / f"pr-{number}-reviews.json", items)
    for number, items in data["timeline"].items():
        s.write_pages(folder / f"timeline-{number}.json", items)
    s.write_pages(folder / "review-comments.json", data["review_comments"])
    s.write_pages(folder / "releases.json", data["releases"])
