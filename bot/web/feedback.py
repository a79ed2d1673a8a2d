"""Thumbs up/down from the chat, appended to a JSONL file for reviewing answers later.

Only what is needed to judge a reply is stored: no IP address, no session id, no earlier turns."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

Vote = Literal["up", "down"]


class FeedbackLog:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()

    def append(self, message: str, kind: str, doc_ids: Sequence[str], vote: Vote) -> dict:
        record = {
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "message": message,
            "kind": kind,
            "doc_ids": list(doc_ids),
            "vote": vote,
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line)
        return record
