"""Read a feed with Universal Feed Parser and print what a reader sees, as JSON.

Used by the end-to-end test as an independent client of what yizhan publishes.
"""
import calendar
import json
import sys

import feedparser


def when(t):
    return None if t is None else calendar.timegm(t)


def main(path):
    d = feedparser.parse(path)
    out = {
        "bozo": bool(d.bozo),
        "bozo_exception": str(d.get("bozo_exception", "")),
        "version": d.version,
        "title": d.feed.get("title"),
        "rights": d.feed.get("rights"),
        "links": [{"rel": l.get("rel"), "href": l.get("href")} for l in d.feed.get("links", [])],
        "entries": [],
    }
    for e in d.entries:
        src = e.get("source") or {}
        out["entries"].append({
            "id": e.get("id"),
            "title": e.get("title"),
            "link": e.get("link"),
            "author": e.get("author"),
            "rights": e.get("rights"),
            "source_title": src.get("title"),
            "source_href": src.get("href") or next((l.get("href") for l in src.get("links", [])), None),
            "published": when(e.get("published_parsed")),
            "content": (e.get("content") or [{}])[0].get("value") or e.get("summary"),
            "links": [{"rel": l.get("rel"), "href": l.get("href"), "title": l.get("title")} for l in e.get("links", [])],
            "contributors": [c.get("name") for c in e.get("contributors", [])],
        })
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
