"""Chinese text for search: jieba segmentation, initialised once per process."""

from __future__ import annotations

import logging
import threading

import jieba

_lock = threading.Lock()
_ready = False

jieba.setLogLevel(logging.WARNING)


def ensure_jieba() -> None:
    global _ready
    if _ready:
        return
    with _lock:
        if not _ready:
            jieba.initialize()
            _ready = True


def tokenize(text: str) -> list[str]:
    """Search-mode tokens of ``text``: words and their sub-words, blanks and punctuation dropped."""
    ensure_jieba()
    seen: dict[str, None] = {}
    for token in jieba.cut_for_search(text or ""):
        token = token.strip().lower()
        if token and any(ch.isalnum() for ch in token):
            seen.setdefault(token, None)
    return list(seen)


def search_document(*texts: str) -> str:
    """The text stored for an object's search: its own words plus their tokens.

    Keeping the raw text beside the tokens lets a substring query match even where
    jieba segments the stored text and the query differently.
    """
    raw = " ".join(t.strip().lower() for t in texts if t and t.strip())
    return raw + " | " + " ".join(tokenize(raw))
