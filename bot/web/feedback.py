"""Thumbs up/down from the chat, appended to a JSONL file for reviewing answers later.

Only what is needed to judge a reply is stored: the question (cut short, with digit runs and e-mail
addresses masked, as they may be phone or ID numbers), the reply kind, the cited articles and the vote.
No IP address, no session id, no earlier turns. Each field has a size cap, each client a vote rate (the key
is used in memory only), and the file a size cap: at the cap it is rotated to `<name>.1` (an older `.1` is
dropped), so the two files never hold more than twice the cap. Rotations and refusals are logged."""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from bot.web.guards import RateLimiter

Vote = Literal["up", "down"]
MESSAGE_CHARS = 500
KIND_CHARS = 32
DOC_IDS = 10
DOC_ID_CHARS = 80
VOTES_PER_MINUTE = 20
_DIGITS = re.compile(r"\d[\d\s./-]{3,}\d")
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
log = logging.getLogger("painbot.feedback")


def masked(message: str) -> str:
    """The question as stored: cut to MESSAGE_CHARS, numbers of five or more digits and e-mails masked."""
    return _EMAIL.sub("<email>", _DIGITS.sub("<number>", message[:MESSAGE_CHARS]))


class FeedbackLog:
    def __init__(self, path: Path, max_bytes: int = 5 * 1024 * 1024, votes_per_minute: int = VOTES_PER_MINUTE):
        self.path, self.max_bytes = path, max_bytes
        self.rate = RateLimiter(votes_per_minute)
        self._lock = threading.Lock()

    def append(self, message: str, kind: str, doc_ids: Sequence[str], vote: Vote, client: str = "") -> dict | None:
        """The record written, or None when this client has voted too often (the vote is dropped). Without a
        client key the caller limits the rate itself (the widget's /api/feedback has the API's limit)."""
        if client and self.rate.hit(client):
            log.warning("feedback: a vote was dropped (client over %d votes a minute)", self.rate.limit)
            return None
        record = {
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "message": masked(str(message)),
            "kind": str(kind)[:KIND_CHARS],
            "doc_ids": [str(d)[:DOC_ID_CHARS] for d in list(doc_ids)[:DOC_IDS]],
            "vote": "up" if vote == "up" else "down",
        }
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", errors="replace")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            size = self.path.stat().st_size if self.path.exists() else 0
            if size and size + len(line) > self.max_bytes:
                rotated = self.path.with_name(self.path.name + ".1")
                os.replace(self.path, rotated)
                log.warning("feedback: %s reached %d bytes; rotated to %s", self.path, self.max_bytes, rotated)
            with self.path.open("ab") as f:
                f.write(line)
        return record
