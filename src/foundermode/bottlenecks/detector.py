"""Hearing a blocker in what people say: Slack messages, meeting transcripts,
stand-up answers, ticket text.

Pure: sentences in, detections out; nothing here knows a table.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SENTENCES = 200  # per message: a pasted log is not someone talking
MAX_SENTENCE = 600
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9@])|\n+|(?<=[.!?;])\s+-\s+")
_URL = re.compile(r"https?://\S+")


def split_sentences(text: str) -> list[str]:
    """The sentences of a message: split on sentence ends and line breaks, code blocks and quotes dropped."""
    text = re.sub(r"```.*?```", " ", text or "", flags=re.S)
    out = []
    for piece in _SPLIT.split(text):
        piece = piece.strip()
        if not piece or piece.startswith(">") or len(piece) < 3:
            continue
        out.append(piece[:MAX_SENTENCE])
        if len(out) >= MAX_SENTENCES:
            break
    return out


# -- the detector ---------------------------------------------------------------------
#
# Phrase rules, each with how sure it makes us, then dampers for the ways people say
# those words without being blocked: a question, a condition, a negation, an idiom,
# the past, someone outside the team. Precision first: a wrong "heard" costs a
# leader's trust, so a rule earns a high score only when the phrase rarely means
# anything else (measured on real developer text: docs/benchmarks.md).
CONFIDENT = 0.8  # at or above: a report, grouped and escalated like a typed one
CANDIDATE = 0.5  # at or above (and below CONFIDENT): shown to the person or a leader to confirm

_ME = r"(?:i|we|i'?m|we'?re|i am|we are|i'?ve been|we'?ve been|i have been|we have been|team|the team)"
_STILL = (r"(?:still|just|currently|now|mostly|largely|mainly|kinda|kind of|sort of|a bit|a little|a little bit|pretty much|somewhat|"
          r"totally|completely|basically|really|all|also|again|am|are)")
_WORK = (r"(?:merge|deploy|build|push|release|ship|test|run|start|continue|proceed|move forward|progress|log ?in|access|get access|"
         r"reach|connect|finish|launch|upload|install|compile|reproduce|debug|work|do anything)")
_LACK = (r"(?:enough(?!\s+(?:of|knowledge|info|information|time|context|experience|expertise|reasons?|understanding)\b)|access|permission|permissions|the rights|rights|access rights|karma|credentials|a license|licen[cs]es|the disk|disk space|"
         r"the hardware|hardware|gpus?|machines?|capacity|quota|a server|servers?|an account|accounts?|the keys?|budget)")

_ITEM = (r"(?:patch|patches|pr|prs|pull request|pull requests|release|build|branch|proposal|fix|change|changes|draft|binaries|"
         r"the gui|the cli|the website|the site|the paper|the audit|the migration)")

RULES: list[tuple[str, re.Pattern, float]] = [
    ("blocked", re.compile(rf"\b{_ME}\s+(?:{_STILL}\s+)*(?:blocked|stuck|held up)\b(?!\s+(?:now\s+)?with\b)", re.I), 0.95),
    ("blocked", re.compile(r"\((?:i'?m|we'?re) stuck\)", re.I), 0.95),
    ("waiting", re.compile(rf"\b{_ME}\s+(?:{_STILL}\s+)*waiting\s+(?:on|for)\b", re.I), 0.9),
    ("waiting", re.compile(rf"^(?:\W*(?:\w+:\s*)?)(?:(?:{_STILL}|yeah|ok|so|but|and|oh|nop|no)\W*\s+)*waiting\s+(?:on|for)\b", re.I), 0.9),
    ("waiting", re.compile(rf"(?:^|[,;:]|\bnow\b|\band\b)\s*(?:(?:{_STILL})\s+)*waiting\s+(?:on|for)\s+(?!me\b)", re.I), 0.85),
    # a piece of work that waits: "there's a patch waiting on changes", "a PR waiting to be merged"
    ("waiting", re.compile(rf"\b(?:{_ITEM})\s+(?:(?:is|are|'s)\s+)?(?:(?:{_STILL})\s+)*waiting\s+(?:on|for|to be)\b", re.I), 0.85),
    ("waiting", re.compile(rf"\b(?:is|are|'s|been|was)\s+(?:{_STILL}\s+)*(?:waiting|held up|stuck|blocked)\s+(?:on|for|by|in)\b", re.I), 0.9),
    ("waiting", re.compile(r"\b(?:still\s+)?(?:open\s+and\s+)?waiting\s+for\s+(?:a\s+)?reviews?\b", re.I), 0.9),
    ("blocked", re.compile(r"\bblocked\s+(?:on|by)\b", re.I), 0.9),
    ("blocked", re.compile(r"\b(?:something|what'?s|that'?s|this is|it'?s|which is)\s+(?:(?:else|still)\s+)*(?:blocking|holding up)\b", re.I), 0.85),
    ("blocked", re.compile(r"\b(?:been|is|are)\s+held\s+up\b", re.I), 0.85),
    ("blocked", re.compile(r"\bthe thing (?:that'?s|that is) holding up\b", re.I), 0.85),
    ("blocked", re.compile(r"\bhold(?:ing)? off on \w+ing until\b", re.I), 0.85),
    ("cannot", re.compile(rf"\b(?:i|we)\s+(?:still\s+)?(?:can'?t|cannot|can not|am unable to|are unable to|couldn'?t)\s+(?:get\s+\w+\s+)?{_WORK}", re.I), 0.85),
    ("cannot", re.compile(rf"^\W*(?:can'?t|cannot|unable to)\s+{_WORK}\b", re.I), 0.85),
    ("cannot", re.compile(r"\bcan'?t move forward without\b", re.I), 0.9),
    ("cannot", re.compile(r"\b(?:i|we)\s+(?:still\s+)?(?:can'?t|cannot)\s+get\s+(?:\S+\s+){0,3}(?:built|merged|deployed|working|running|released|reviewed|access)\b", re.I), 0.85),
    ("waiting", re.compile(rf"\b{_ME}\s+(?:{_STILL}\s+)*waiting\s+to\s+(?:get|hear|receive)\b", re.I), 0.9),
    ("lacking", re.compile(rf"\b(?:i|we)\s+(?:still\s+)?(?:don'?t|do not|didn'?t)\s+have\s+(?:the\s+)?{_LACK}\b", re.I), 0.85),
    ("lacking", re.compile(r"\b(?:we are|we'?re|i am|i'?m)\s+(?:\w+\s+)?lacking\b", re.I), 0.85),
    ("lacking", re.compile(rf"\b(?:i|we)\s+need\s+(?:access|permission|credentials|rights)\b", re.I), 0.75),
    ("lacking", re.compile(rf"\b(?:there(?:'s| is| are)\s+)?not enough\s+{_LACK}", re.I), 0.7),
    ("broken", re.compile(r"\b(?:is|are)\s+(?:still\s+)?broken\s+without\b", re.I), 0.85),
    ("broken", re.compile(r"\b(?:ci|the build|builds?|staging|the server|jenkins|the pipeline|tests?|compiling [\w ]+)\s+(?:is|are|has been|have been)\s+(?:still\s+)?(?:down|broken|red|failing)\b", re.I), 0.7),
    # -- the ways a blocker is said aloud (calls, stand-ups, transcripts) --
    # "the main blocker is X", "X is the blocker for the release", "the thing I see as a blocker against"
    ("blocked", re.compile(r"\b(?:the|our|my|a|one|main|primary|biggest|big|only|last|remaining|real|current)\s+(?:\w+\s+){0,2}?blockers?\s+"
                           r"(?:is|are|was|for|on|to|against|here|right now|at the moment|being)\b", re.I), 0.85),
    ("blocked", re.compile(r"\b(?:is|are|'s|as)\s+(?:still\s+|probably\s+|currently\s+|really\s+)*(?:the|a|our)\s+(?:\w+\s+){0,2}?blocker\b", re.I), 0.85),
    # "it's being blocked", "it's stuck", "this is blocked": the work spoken of, stuck now
    ("blocked", re.compile(r"\b(?:it|this|that)(?:'s|\s+is|\s+has been|\s+got)\s+(?:still\s+|kind of\s+|kinda\s+)*(?:being\s+)?(?:blocked|stuck)\b", re.I), 0.8),
    # "it keeps holding back the other EIPs", "it's holding other stuff up"
    ("blocked", re.compile(r"\b(?:it|this|that|which)(?:'s|\s+is|\s+keeps|\s+has been|\s+was)\s+(?:\w+\s+)?holding\s+(?:\w+\s+){0,3}?(?:back|up)\b", re.I), 0.85),
    ("waiting", re.compile(r"\bstuck\s+waiting\b|\bstill\s+waiting\b", re.I), 0.85),
    # "waiting on Ann to finish", "waiting for the PR to land"
    ("waiting", re.compile(r"\bwaiting\s+(?:on|for)\s+(?:\S+\s+){1,4}?to\s+(?:finish|land|merge|be merged|review|be reviewed|approve|sign|build|upload|release|"
                           r"tag|deploy|respond|reply|answer|get back|fix|ship|come|arrive|be done|be fixed|be released)\b", re.I), 0.85),
    ("waiting", re.compile(r"\bwaiting\s+(?:on|for)\s+(?:a |the |this |that |their |his |her |our |)(?:merge|merging|feedback|decision|answer|response|reply|"
                           r"funds|funding|quote|go-ahead|green light|approvals?)\b", re.I), 0.85),
    ("waiting", re.compile(rf"\b{_ME}\s+(?:{_STILL}\s+)*waiting\s+to\s+see\b", re.I), 0.85),
    # "we can't proceed until", "we need the keys before we can deploy", "depends on the PR landing"
    ("cannot", re.compile(r"\bneed\s+[^.;?]{1,60}?\bbefore\s+(?:we|i)\s+can\b", re.I), 0.85),
    ("cannot", re.compile(r"\b(?:is|are|'s|still)\s+(?:still\s+)?(?:depend\w*|dependent)\s+on\s+[^.;?]{1,60}?\b(?:landing|to land|being merged|getting merged|"
                          r"being (?:done|fixed|released|finished|reviewed))\b", re.I), 0.8),
    # "we only need Bo to upload the binaries": waiting on a named person's act
    ("waiting", re.compile(r"\b(?:we|i)\s+(?:only\s+|just\s+|still\s+)*need\s+(?!to\b|a\b|an\b|the\b|more\b|some\b|to\b)\w+\s+to\s+(?:upload|build|merge|review|sign|approve|"
                           r"release|tag|push|deploy|finish|fix|answer|respond|look)\b", re.I), 0.8),
    # a piece of work that needs someone's eyes: "an open PR that needs eyeballs", "my proposal needs feedback"
    ("waiting", re.compile(rf"\b(?:{_ITEM}|proposal|mr|merge request)\b[^.;?]{{0,40}}?\bneeds?\s+(?:(?!more\b)\w+\s+)?(?:eyeballs|eyes|reviews?|reviewing|feedback|approval|"
                           r"a look|sign-?off|merging|to be merged|to be reviewed)\b", re.I), 0.8),
    # a piece of work in a stuck state: "the release is blocked", "the PR is on hold until", "still pending review", "awaiting sign-off"
    ("blocked", re.compile(rf"\b(?:{_ITEM}|work|progress|it|this|that)\s+(?:is|are|'s|remains|has been|have been)\s+(?:still\s+|currently\s+|now\s+)?"
                           r"(?:blocked|stuck|on hold)\b", re.I), 0.85),
    # ("merge it pending approval" is a condition, "it's still pending approval" a state)
    ("waiting", re.compile(r"\b(?:is|are|'s|still|just|currently)\s+(?:still\s+|just\s+)?(?:pending|awaiting)\s+(?:\w+\s+){0,2}?(?:review|reviews|approval|feedback|response|decision|sign-?off|merge|input|"
                           r"answer|confirmation|funding)\b", re.I), 0.8),
    ("waiting", re.compile(r"\b(?:is|are|'s|'re|am|'m)\s+(?:still\s+)?awaiting\b", re.I), 0.85),
    ("blocked", re.compile(r"\b(?:gated|bottlenecked)\s+(?:on|by)\b|\bheld\s+up\s+(?:by|on|because|waiting)\b", re.I), 0.85),
    ("blocked", re.compile(r"\b(?:is|are|'s|keeps?|still)\s+(?:\w+\s+)?blocking\s+(?:us|me|the team|our|progress|the release|the merge)\b", re.I), 0.85),
    # no answer from whom the work waits on: "haven't heard back from the vendor", "still no reply from Ann"
    ("waiting", re.compile(r"\b(?:i|we)\s+(?:still\s+)?(?:haven'?t|have not)\s+(?:yet\s+)?heard\s+back\b|\bstill\s+no\s+(?:word|response|reply|answer|news)\s+from\b", re.I), 0.8),
    ("cannot", re.compile(rf"\b(?:i|we)(?:'m|'re|\s+am|\s+are)\s+(?:still\s+)?not\s+able\s+to\s+{_WORK}\b", re.I), 0.85),
    ("lacking", re.compile(r"\b(?:i|we)\s+(?:have\s+|'ve\s+)?(?:lost|no)\s+(?:longer\s+have\s+)?access\b|\b(?:i|we)\s+(?:have|got)\s+no\s+(?:access|permissions?|rights)\b", re.I), 0.85),
    # no one can: "no one has access to the build box", "nobody has the keys"
    ("lacking", re.compile(rf"\b(?:no ?one|nobody)\s+(?:here\s+|else\s+)?(?:has|have)\s+(?:the\s+)?{_LACK}", re.I), 0.85),
    ("lacking", re.compile(rf"\b(?:i|we)\s+(?:still\s+|just\s+)?(?:don'?t|do not)\s+have\s+(?:any\s+)?(?:way|means)\s+to\b", re.I), 0.8),
    ("waiting", re.compile(r"\bwaiting\s+(?:on|for)\s+(?:access|approval|permission|review|reviews|a review|binaries|builds?|the build|sign-?off|the go-ahead)\b", re.I), 0.85),
    ("waiting", re.compile(r"\bwaiting\s+(?:on|for)\b", re.I), 0.6),
]

# Asking for what one lacks is saying one lacks it: "Can I get write access to merge it please?" (a question, not damped).
ASKS = re.compile(r"\b(?:can|could|may)\s+(?:i|we|someone|somebody|anyone)\s+(?:please\s+)?(?:get|have|be given|give (?:me|us))\s+(?:\w+\s+){0,2}?"
                  r"(?:access|permissions?|rights|credentials|karma|an account|the keys?)\b", re.I)

QUESTION = re.compile(r"\?\s*(?:[:;]-?[)(pPD]|\W)*$|^\W*(?:\w+:\s*)?(?:who|what|why|how|when|is|are|was|were|do|does|did|can|could|should|would|anything|any)\s[^.!]*$", re.I)
CONDITION = re.compile(r"^\W*(?:if(?!\s+(?:so|not)\b)|when|whenever|unless|once|until|in case|suppose|imagine|as opposed to)\b|\b(?:without|instead of|rather than|while|than)\s+waiting\b", re.I)
NEGATED = re.compile(
    r"\b(?:not|no longer|never|isn'?t|aren'?t|wasn'?t|weren'?t|nothing|no one|nobody)\s+(?:\w+\s+){0,2}(?:waiting|blocked|blocking|stuck|held up)\b"
    r"|\b(?:not|never|no|isn'?t|wasn'?t|wouldn'?t|won'?t|doesn'?t|don'?t (?:think|see|consider)|nor)\b(?:\W+\w+){0,5}?\W+(?:the\s+|a\s+)?(?:main\s+|big\s+|real\s+)?blockers?\b"
    r"|\b(?:don'?t|do not)\s+(?:think|know|believe|feel)\s+(?:that\s+)?(?:\S+\s+){0,3}?(?:blocked|stuck|bottlenecked|held up|waiting|blockers?)\b"
    r"|\bnot\s+a\s+block|\bno\s+blockers?\b|\bunblocked\b|\bnot waiting\b|\bdon'?t want to hold up\b", re.I)
IDIOM = re.compile(
    r"\b(?:can'?t wait|(?:fine|ok|okay|happy|good)\s+(?:with\s+)?waiting|better to wait|worth waiting|waiting (?:on|for) me\b|waiting for (?:that|this|it)\b\W*(?::|$)"
    r"|waiting for (?:contributions|donations|volunteers)|stuck with|blocking off|blocked out|blocked persons|stuck between|(?:set up|ready|prepared|in place|all set)\s+and\s+waiting|hold up,|hold on|wait,|wait you|waiting for (?:something|it to)\b"
    r"|can'?t (?:log ?in(?:to)?|join|make|attend|connect to|get on(?:to)?)\s+(?:to\s+)?(?:irc|the meeting|the call|matrix|slack|discord|mattermost)\b)", re.I)
PAST = re.compile(r"\b(?:was|were|had been)\s+(?:\w+\s+)?(?:waiting|blocked|stuck)\b|\bdid not have\b|\bdidn'?t have\b", re.I)
OUTSIDERS = re.compile(r"\b(?:users?|people|customers|exchanges|everyone|the community|the market|miners|they)\b[^,.;]{0,40}?\b(?:are|were|have been|will be)\s+(?:still\s+)?(?:waiting|stuck|blocked)\b", re.I)
HEDGED = re.compile(r"\b(?:may|might|must|could)\s+have\s+been\b|\b(?:possible|potential|likely)\s+blockers?\b|\bi have a feeling\b|\bimo\b|\bin my opinion\b", re.I)
# A wait chosen before saying or deciding something: "I'm waiting for those before I express my vote".
CHOSEN_WAIT = re.compile(r"\bwait\w*\b[^.;]{0,60}?\bgiv(?:e|es|ing)\s+(?:\w+\s+){0,5}?time\b"
                         r"|\b(?:wait\w*\s+(?:on|for|until)|need\w*)\b[^.;]{0,100}?\bbefore\s+(?:(?:i|we|i'?ll|we'?ll)\s+(?:can\s+|could\s+)?(?:really\s+)?)?(?:\w+ing\s+)?"
                         r"(?:express|vot|announc|mak\w* (?:fanfare|noise|a decision|a call)|fanfare|decid|comment|post|say|talk|judg|weigh)", re.I)
# Software as the subject of the wait: "the thread blocks on the lock" (counts only over the cue, see _narrates_code).
CODE = re.compile(
    r"\b(?:threads?|process(?:es)?|daemon|node|nodes|client|clients|function|method|call|request|query|socket|lock|mutex|queue|loop|worker|"
    r"program|script|syscall|the sync|the ui|the wallet|the miner|consensus client|execution client|beacon (?:node|client))\s+"
    r"(?:(?:is|are|was|just|then|will|would|keeps?|gets?)\s+)*(?:waits?|waiting|blocks|blocking|blocked|stuck|hangs?)\b", re.I)
# Software narrated anywhere in the sentence: "waiting for enough txs to fill a batch", "inform the user that it is waiting".
NARRATED = re.compile(
    r"\bwait\w*\s+(?:for|on|until)\s+(?:enough|more|the next|a few more|\d+)\s+(?:txs?|transactions?|blocks?|confirmations?|peers?|packets?|"
    r"messages?|bytes|inputs?|outputs?|seconds?|ms|milliseconds?)\b"
    r"|\b(?:inform|tell|warn|notify|show)\w*\s+(?:the\s+)?users?\s+(?:that|when)\b|\bstuck\s+(?:at|on)\s+(?:block|height|slot|epoch)\b", re.I)
# Resolved since: "we were stuck on the proxy but it's fixed now".
RESOLVED = re.compile(r"\b(?:it'?s|that'?s|it is|that is|it has been|has been|have been|was|got|is now|are now|now)\s+(?:\w+\s+)?"
                      r"(?:fixed|resolved|sorted(?: out)?|solved|unblocked)\b", re.I)
# Hypothetical: "we would be blocked", "otherwise we'll be stuck"
# ("might be waiting" is a hedge, left to be confirmed, not a hypothetical.)
WOULD = re.compile(r"\b(?:would|could|'d)\s+(?:\w+\s+){0,3}?(?:be|get|end up|become)\s+(?:\w+\s+)?(?:blocked|stuck|waiting|held up|blockers?)\b"
                   r"|\botherwise\b[^.;]{0,30}\b(?:will|'ll)\s+be\s+(?:blocked|stuck|waiting|held up)\b", re.I)
_CLAUSE_END = re.compile(r"[.;!?]\s|\bbut\b", re.I)
# A condition or a side remark before the cue: "if they had ... just waiting", "while we are waiting on Ann, my update".
BEFORE_CUE = re.compile(r"\b(?:if(?!\s+(?:so|not)\b)|while|unless|whether|between)\b", re.I)


def _clause(sentence: str, at: int) -> str:
    """The clause the cue at ``at`` is in: from the last clause end before it to the first after it."""
    start = 0
    for found in _CLAUSE_END.finditer(sentence, 0, at):
        start = found.end()
    after = _CLAUSE_END.search(sentence, at)
    return sentence[start:after.start() if after else len(sentence)]


@dataclass(frozen=True)
class Detection:
    """A sentence that says someone is blocked, waiting or lacks something."""

    sentence: str
    score: float
    cue: str  # the words the rule matched
    kind: str  # blocked, waiting, cannot, lacking, broken
    index: int = 0  # the sentence's place in the message

    @property
    def confident(self) -> bool:
        return self.score >= CONFIDENT


def _narrates_code(sentence: str, start: int, end: int) -> bool:
    """Software is what waits or blocks *in the cue itself* ("the thread blocks on the lock").

    Only a match over the cue counts: in "still waiting on the GPU cluster, the cuda queue is
    stuck" a person waits, and the stuck queue is what they wait on, which is the blocker.
    """
    if NARRATED.search(sentence):
        return True
    return any(found.start() <= end and found.end() >= start for found in CODE.finditer(sentence))


def score_sentence(sentence: str) -> Detection | None:
    """The sentence's best rule after the dampers, or None when no rule fires."""
    best: tuple[float, str, str] | None = None
    for kind, pattern, weight in RULES:
        found = pattern.search(sentence)
        if found and (best is None or weight > best[0]):
            best = (weight, kind, found.group(0).strip(), found.start())
    asked = ASKS.search(sentence)
    if asked and (best is None or best[0] < 0.85):
        best = (0.85, "asking", asked.group(0).strip(), asked.start())
    if best is None:
        return None
    score, kind, cue, at = best
    text = _URL.sub(" ", sentence)
    if NEGATED.search(text) or IDIOM.search(text):
        return None
    asks_here = re.search(r"[.!?]", sentence[at:])  # the cue's own sentence ends in a question mark
    if (QUESTION.search(text.strip()) or (asks_here and asks_here.group(0) == "?")) and kind != "asking":
        score *= 0.4
    if CONDITION.search(text):
        score *= 0.4
    if PAST.search(text):
        score *= 0.6
    if OUTSIDERS.search(text):
        score *= 0.6
    if HEDGED.search(_clause(sentence, at)):
        score *= 0.7
    if CHOSEN_WAIT.search(text) or WOULD.search(text) or _narrates_code(sentence, at, at + len(cue)):
        score *= 0.5
    if RESOLVED.search(sentence[at:at + 100]):
        score *= 0.5
    if BEFORE_CUE.search(sentence[:at]):
        score *= 0.5
    return Detection(sentence, round(score, 3), cue, "lacking" if kind == "asking" else kind)


def detect(text: str, threshold: float = CANDIDATE) -> list[Detection]:
    """Every sentence of ``text`` scoring at least ``threshold``, in order."""
    out = []
    for index, sentence in enumerate(split_sentences(text)):
        found = score_sentence(sentence)
        if found is not None and found.score >= threshold:
            out.append(Detection(found.sentence, found.score, found.cue, found.kind, index))
    return out


def strongest(text: str, threshold: float = CANDIDATE) -> Detection | None:
    """The most certain blocker statement of a message, if any: one message is one report."""
    found = detect(text, threshold)
    return max(found, key=lambda d: d.score) if found else None


# -- measuring it -----------------------------------------------------------------------

def figures(pairs: list[tuple[int, float]], threshold: float) -> dict:
    """Precision, recall and F1 of ``score >= threshold`` against (label, score) pairs."""
    tp = sum(1 for label, score in pairs if label and score >= threshold)
    fp = sum(1 for label, score in pairs if not label and score >= threshold)
    fn = sum(1 for label, score in pairs if label and score < threshold)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"threshold": threshold, "sentences": len(pairs), "blocked": tp + fn, "tp": tp, "fp": fp, "fn": fn,
            "precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3)}


def kappa(a: list[int], b: list[int]) -> float:
    """Cohen's kappa between two passes of binary labels."""
    n = len(a)
    if not n:
        return 1.0
    observed = sum(x == y for x, y in zip(a, b)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0
