"""Django merges the apps' translation catalogues and the app listed first wins, so one
English text translated two ways in two apps shows the wrong Chinese in one of them.
A text that means different things needs a context (pgettext)."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# Collisions already there, where the winning translation reads right in both places
# (the catalog's 办理部门/行政区划/岗位角色 show as 部门/地区/角色). Do not add to this.
KNOWN = {("", "department"), ("", "region"), ("", "role")}


def _entries(path: Path) -> dict[tuple[str, str], str]:
    found = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        if block.lstrip().startswith("#~") or "#, fuzzy" in block:
            continue
        ctx = re.search(r'^msgctxt "(.*)"', block, re.M)
        mid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        mstr = re.search(r"^msgstr ((?:\".*\"\n?)+)", block, re.M)
        if not mid or not mstr:
            continue
        text = "".join(re.findall(r'"(.*)"', mid.group(1)))
        value = "".join(re.findall(r'"(.*)"', mstr.group(1)))
        if text and value:
            found[(ctx.group(1) if ctx else "", text)] = value
    return found


def test_one_text_is_translated_one_way_across_the_apps():
    seen: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    catalogues = sorted(ROOT.glob("yiwang/*/locale/zh_Hans/LC_MESSAGES/django.po"))
    assert len(catalogues) >= 6
    for path in catalogues:
        app = path.parts[-5]
        for key, value in _entries(path).items():
            seen[key][app] = value
    clashes = {key: apps for key, apps in seen.items() if len(set(apps.values())) > 1 and key not in KNOWN}
    assert clashes == {}
