#!/usr/bin/env python3
"""Deterministic synthetic tweets in the X API v2 recent-search page format.

Writes ceil(count / 100) files page-NNNNN.json into OUT_DIR, each one search page as the API sends
it: data[] of up to 100 tweets (newest first), includes.users (authors and mentioned users),
includes.places and includes.media where tweets reference them, and meta (newest_id, oldest_id,
result_count, next_token). Every tweet has a unique 19-digit snowflake id whose timestamp matches its
created_at, entities (hashtags, mentions, urls, cashtags) with zero-based code-point offsets into
the still HTML-escaped text, public_metrics, lang, edit_controls, and, for a share of them,
referenced_tweets (retweets, replies, quotes), attachments, geo and context_annotations.

Like X, the files hold non-BMP characters (emoji) as UTF-16 surrogate escapes and the rest as UTF-8.
The same --seed and --count always give the same bytes.

--long-form makes every tweet a long-form post, delivered as X API v2 delivers one: the full text
(exactly --long-form-chars code points, 25,000 by default, X's limit for long posts) in
`note_tweet.text` with its own `note_tweet.entities`, and `text` holding only its first ~280 code
points (cut at a space, ending in "…") with the entities that fall inside them. The note begins with
the tweet's ordinary text, so those entities keep their offsets, and goes on in paragraphs of the
tweet's language with a hashtag, mention, url or emoji now and then (~30 entities per post). Without
the flag the output is byte for byte what it was before the flag existed.

    gen_pages.py OUT_DIR [--count 100000] [--seed 42] [--long-form [--long-form-chars 25000]]
"""

import argparse
import json
import os
import random
import re
import string
import sys
from datetime import datetime, timedelta, timezone

TWITTER_EPOCH_MS = 1288834974657
NEWEST = datetime(2024, 5, 14, 18, 0, 0, tzinfo=timezone.utc)

LANGS = {
    # lang: (weight, phrases); phrases carry HTML-escaped text exactly as X delivers it.
    "en": (40, [
        "Consumer lag is back under control after moving the sink to bulk requests",
        "Reminder: a _bulk HTTP 200 does not mean every item was indexed &amp; you must check them",
        "Just shipped the new ingestion pipeline, p99 latency &lt; 200 ms",
        "Who else is debugging rebalance storms on a Friday afternoon",
        "Great talk on exactly-once delivery, the document id trick is so simple",
        "Our cluster went from 3 to 5 brokers today and nothing broke",
        "Hot take: most streaming problems are really schema problems",
        "Coffee, logs and a very long incident review",
        "If your retries never stop, your pipeline is wedged, not resilient",
        "Benchmarks without the machine size are just vibes",
        "Spent the morning tuning refresh_interval and merge policy",
        "The demo worked on the first try, which is how I know something is wrong",
    ]),
    "es": (12, [
        "Primera vez en Lisboa y primera vez dando una charla en inglés",
        "¿Alguien más peleándose con los offsets de Kafka hoy?",
        "Índices nuevos, mapeos nuevos y la misma búsqueda lenta de siempre",
        "Gracias a todos los que vinisteis al taller de streaming",
    ]),
    "de": (8, [
        "Schaue den Livestream vom Summit aus Berlin, die Folie zu Rebalancing-Stürmen war Gold wert",
        "Eine Wiederholung ist nur dann harmlos, wenn der Empfänger sie erkennt",
        "Heute gelernt: Größere Batches sind nicht immer schneller",
    ]),
    "pt": (8, [
        "Amanhã há pastéis de nata no intervalo, prometido",
        "A latência caiu pela metade depois de trocar o cliente HTTP",
        "Alguém tem um bom exemplo de conector Kafka para Elasticsearch?",
    ]),
    "ja": (10, [
        "コンシューマーラグの監視、結局ラグの絶対値より増加率を見るのが一番という結論に",
        "基調講演、めちゃくちゃ良かった…！「リプレイできないパイプラインは本番ではない」",
        "今日はインデックスのマッピング設計で一日が終わった",
    ]),
    "ar": (6, [
        "محاضرة رائعة اليوم عن معالجة البيانات المتدفقة",
        "تعلمت اليوم أن إعادة المحاولة بدون حد تعني توقف خط البيانات",
    ]),
    "fr": (8, [
        "Premier jour à la conférence, déjà trois idées à tester en prod",
        "Le débit a doublé quand on a arrêté d'indexer document par document",
        "Qui d'autre passe sa journée à lire des logs de rééquilibrage ?",
    ]),
    "hi": (4, [
        "आज काफ़्का क्लस्टर पर बहुत कुछ सीखा",
        "डेटा पाइपलाइन में रीट्राई की सीमा ज़रूरी है",
    ]),
    "ko": (4, [
        "오늘 컨슈머 그룹 리밸런싱 때문에 하루 종일 고생했다",
        "엘라스틱서치 벌크 색인 속도가 두 배가 됐어요",
    ]),
}
HASHTAGS = ["Kafka", "Elasticsearch", "DataStreams", "DataStreamsSummit", "OpenSearch", "ApacheKafka",
            "DataEngineering", "Observability", "SRE", "Streaming", "CPlusPlus", "Kibana", "データ基盤",
            "BigData", "DevOps", "100DaysOfCode", "Lisboa", "Berlin", "Protobuf", "gRPC"]
CASHTAGS = ["CFLT", "ESTC", "AMZN", "MSFT", "GOOG"]
EMOJI = ["\U0001F680", "\U0001F525", "\U0001F44F", "\U0001F605", "\U0001F60C", "\U0001F913", "\u2705", "\u26a1",
         "\U0001F4C8", "\U0001F914", "\U0001F389", "\U0001F1F5\U0001F1F9", "\U0001F35E", "\U0001F440", "\u2615"]
DOMAINS = ["github.com", "kafka.apache.org", "www.elastic.co", "blog.example.org", "medium.com",
           "youtube.com", "docs.example.net", "engineering.example.com"]
FIRST = ["Ana", "Ben", "Chen", "Dara", "Elif", "Femi", "Grace", "Hiro", "Inês", "Jonas", "Kofi", "Layla",
         "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tomoko", "Uma", "Viktor", "Wen",
         "Ximena", "Yusuf", "Zoé", "Lucía", "Björn", "Aiko", "Ngozi", "ليلى", "Олег", "智子", "민준"]
LAST = ["Pressman", "Lagoa", "Corriente", "Streams", "Offset", "Broker", "Index", "Shard", "Replica",
        "Fernández", "Müller", "Tanaka", "Silva", "Nguyen", "Kowalski", "O'Brien", "Haddad", "Kim"]
BIOS = ["Data engineer. Opinions are my own, lag is everyone's.", "Kafka operator by day, sourdough operator by night \U0001F35E",
        "Search &amp; relevance. Coffee first.", "Ingeniera de datos. Ponente en #DataStreamsSummit.",
        "Building pipelines that replay. he/him", "SRE | on-call survivor | ⚡", "", "Streaming all the things",
        "データエンジニア。Kafkaとか。", "مهندسة بيانات. أكتب عن Kafka و Elasticsearch."]
LOCATIONS = ["Lisboa", "Berlin", "Leeds", "Valencia", "Tokyo", "دبي", "São Paulo", "Paris", "Seoul", "Bengaluru", None, None]
PLACES = [
    ("40c4f6f280e45b8a", "Lisbon, Portugal", "Lisbon", "Portugal", "PT", "city", [-9.23, 38.69, -9.09, 38.80]),
    ("e8aed941c5283c9c", "Berlin, Germany", "Berlin", "Germany", "DE", "city", [13.09, 52.34, 13.76, 52.68]),
    ("5e02a0f0d91c76d2", "Tokyo, Japan", "Tokyo", "Japan", "JP", "city", [139.56, 35.53, 139.92, 35.82]),
    ("0e8f1d4e2b9a7c31", "São Paulo, Brazil", "São Paulo", "Brazil", "BR", "city", [-46.83, -23.74, -46.37, -23.36]),
    ("3b77caf94bfc81fe", "Leeds, England", "Leeds", "United Kingdom", "GB", "city", [-1.80, 53.70, -1.29, 53.95]),
]
SOURCES_NON_BMP = re.compile("[\U00010000-\U0010FFFF]")


def surrogate_escape(text):
    """JSON text with non-BMP characters as \\uD8xx\\uDCxx pairs, the way X sends them."""
    def repl(m):
        cp = ord(m.group(0)) - 0x10000
        return "\\u%04x\\u%04x" % (0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF))
    return SOURCES_NON_BMP.sub(repl, text)


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def snowflake(dt, rng):
    ms = int(dt.timestamp() * 1000) - TWITTER_EPOCH_MS
    return str((ms << 22) | rng.getrandbits(22))


class TextBuilder:
    """Builds a tweet text piece by piece and records entities at code-point offsets."""

    def __init__(self):
        self.parts = []
        self.length = 0  # in code points (Python str length)
        self.entities = {}

    def add(self, s):
        self.parts.append(s)
        self.length += len(s)

    def entity(self, kind, s, **fields):
        start = self.length
        self.add(s)
        e = {"start": start, "end": self.length}
        e.update(fields)
        self.entities.setdefault(kind, []).append(e)

    def text(self):
        return "".join(self.parts)


class Generator:
    def __init__(self, seed, long_form_chars=0):
        self.long_form_chars = long_form_chars  # 0: ordinary tweets; else the note_tweet length
        self.rng = random.Random(seed)
        self.langs = list(LANGS)
        self.lang_weights = [LANGS[l][0] for l in self.langs]
        self.users = [self.make_user(i) for i in range(4000)]
        self.used_ids = set()

    def make_user(self, i):
        r = self.rng
        first, last = r.choice(FIRST), r.choice(LAST)
        username = re.sub(r"[^A-Za-z0-9_]", "", f"{first}_{last}".lower())[:11] or "user"
        username = f"{username}{i}"[:15]
        created = datetime(2008, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=r.randrange(16 * 365 * 86400))
        user = {
            "id": str(r.randrange(10**7, 2**62)),
            "name": f"{first} {last}" + (" \U0001F916" if r.random() < 0.03 else ""),
            "username": username,
            "created_at": iso(created),
            "description": r.choice(BIOS),
            "protected": False,
            "verified": r.random() < 0.05,
            "verified_type": r.choice(["none"] * 18 + ["blue", "business"]),
            "profile_image_url": f"https://pbs.twimg.com/profile_images/{r.randrange(10**17, 10**19)}/"
                                 + "".join(r.choice(string.ascii_letters + string.digits) for _ in range(8)) + "_normal.jpg",
            "public_metrics": {
                "followers_count": int(r.paretovariate(1.2) * 50),
                "following_count": r.randrange(0, 3000),
                "tweet_count": r.randrange(10, 60000),
                "listed_count": r.randrange(0, 200),
                "like_count": r.randrange(0, 90000),
            },
        }
        loc = r.choice(LOCATIONS)
        if loc:
            user["location"] = loc
        if r.random() < 0.3:
            user["url"] = "https://t.co/" + "".join(r.choice(string.ascii_letters + string.digits) for _ in range(10))
        return user

    def tco(self):
        return "https://t.co/" + "".join(self.rng.choice(string.ascii_letters + string.digits) for _ in range(10))

    def body(self, tb, lang, users_out):
        """Appends the body of an original tweet (phrase, hashtags, mentions, urls, emoji)."""
        r = self.rng
        if r.random() < 0.15:
            m = r.choice(self.users)
            users_out[m["id"]] = m
            tb.add("Thanks ")
            tb.entity("mentions", "@" + m["username"], username=m["username"], id=m["id"])
            tb.add("! ")
        tb.add(r.choice(LANGS[lang][1]))
        if r.random() < 0.5:
            tb.add(" " + r.choice(EMOJI))
        for tag in r.sample(HASHTAGS, k=r.choice([0, 1, 1, 2, 2, 3])):
            tb.add(" ")
            tb.entity("hashtags", "#" + tag, tag=tag)
        if r.random() < 0.03:
            tag = r.choice(CASHTAGS)
            tb.add(" ")
            tb.entity("cashtags", "$" + tag, tag=tag)
        if r.random() < 0.2:
            m = r.choice(self.users)
            users_out[m["id"]] = m
            tb.add(" cc ")
            tb.entity("mentions", "@" + m["username"], username=m["username"], id=m["id"])
        if r.random() < 0.25:
            domain = r.choice(DOMAINS)
            path = "/" + "/".join("".join(r.choice(string.ascii_lowercase) for _ in range(r.randrange(3, 10)))
                                  for _ in range(r.randrange(1, 4)))
            url = self.tco()
            tb.add(" ")
            e = {"url": url, "expanded_url": f"https://{domain}{path}",
                 "display_url": (domain + path)[:26] + ("…" if len(domain + path) > 26 else "")}
            if r.random() < 0.5:
                e.update(status=200, title="A page about " + r.choice(HASHTAGS),
                         description="Notes and examples.", unwound_url=e["expanded_url"])
            tb.entity("urls", url, **e)

    def tweet(self, created, users_out, places_out, media_out):
        r = self.rng
        while True:
            tid = snowflake(created, r)
            if len(tid) == 19 and tid not in self.used_ids:
                break
        self.used_ids.add(tid)
        author = r.choice(self.users)
        users_out[author["id"]] = author
        lang = r.choices(self.langs, self.lang_weights)[0]
        tb = TextBuilder()
        kind = r.random()
        t = {"edit_history_tweet_ids": [tid], "id": tid}
        referenced = None
        metrics = {"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0,
                   "bookmark_count": 0, "impression_count": 0}
        if kind < 0.25:  # retweet: "RT @user: " + the original's (truncated) text
            orig = r.choice(self.users)
            users_out[orig["id"]] = orig
            tb.add("RT ")
            tb.entity("mentions", "@" + orig["username"], username=orig["username"], id=orig["id"])
            tb.add(": ")
            self.body(tb, lang, users_out)
            referenced = {"type": "retweeted", "id": str(int(tid) - r.randrange(1 << 30, 1 << 40))}
            metrics["retweet_count"] = int(r.paretovariate(1.5) * 3)
        else:
            if kind < 0.40:  # reply
                to = r.choice(self.users)
                users_out[to["id"]] = to
                tb.entity("mentions", "@" + to["username"], username=to["username"], id=to["id"])
                tb.add(" ")
                referenced = {"type": "replied_to", "id": str(int(tid) - r.randrange(1 << 30, 1 << 40))}
                t["in_reply_to_user_id"] = to["id"]
            self.body(tb, lang, users_out)
            if 0.40 <= kind < 0.45:  # quote
                referenced = {"type": "quoted", "id": str(int(tid) - r.randrange(1 << 30, 1 << 40))}
                url = self.tco()
                tb.add(" ")
                tb.entity("urls", url, url=url, expanded_url=f"https://twitter.com/i/web/status/{referenced['id']}",
                          display_url=f"twitter.com/i/web/status/{referenced['id'][:7]}…")
            likes = int(r.paretovariate(1.1) * 2) - 2
            metrics.update(like_count=max(likes, 0), reply_count=r.randrange(0, 6),
                           retweet_count=max(likes // 4, 0), quote_count=r.randrange(0, 2),
                           bookmark_count=max(likes // 10, 0), impression_count=max(likes, 0) * 40 + r.randrange(5, 400))
        if r.random() < 0.08:  # a photo
            media_key = f"3_{r.randrange(10**18, 10**19)}"
            url = self.tco()
            tb.add(" ")
            tb.entity("urls", url, url=url, expanded_url=f"https://twitter.com/{author['username']}/status/{tid}/photo/1",
                      display_url="pic.twitter.com/" + url[-10:], media_key=media_key)
            t["attachments"] = {"media_keys": [media_key]}
            media_out[media_key] = {"media_key": media_key, "type": "photo",
                                    "url": f"https://pbs.twimg.com/media/{url[-10:]}.jpg",
                                    "width": r.choice([1200, 1600, 2048]), "height": r.choice([675, 900, 1536]),
                                    "alt_text": "A slide with a throughput chart" if r.random() < 0.3 else None}
            if media_out[media_key]["alt_text"] is None:
                del media_out[media_key]["alt_text"]
        if self.long_form_chars:
            text, entities, note = self.long_form(tb, lang, users_out)
        else:
            text, entities, note = tb.text(), tb.entities, None
        t["text"] = text
        if note:
            t["note_tweet"] = note
        t["author_id"] = author["id"]
        t["created_at"] = iso(created)
        t["conversation_id"] = tid if not referenced or referenced["type"] != "replied_to" else referenced["id"]
        t["lang"] = lang
        t["public_metrics"] = metrics
        if entities:
            t["entities"] = entities
        if referenced:
            t["referenced_tweets"] = [referenced]
        if r.random() < 0.2:
            t["context_annotations"] = [{
                "domain": {"id": "131", "name": "Unified Twitter Taxonomy",
                           "description": "A taxonomy of user interests."},
                "entity": {"id": "848920371311001600", "name": "Technology", "description": "Technology and computing"}}]
        if r.random() < 0.05:
            p = r.choice(PLACES)
            places_out[p[0]] = {"id": p[0], "full_name": p[1], "name": p[2], "country": p[3], "country_code": p[4],
                                "place_type": p[5], "geo": {"type": "Feature", "bbox": p[6], "properties": {}}}
            t["geo"] = {"place_id": p[0]}
        t["possibly_sensitive"] = False
        t["reply_settings"] = "everyone"
        t["edit_controls"] = {"edits_remaining": 5, "is_edit_eligible": referenced is None or referenced["type"] != "retweeted",
                              "editable_until": iso(created + timedelta(hours=1))}
        t["source"] = r.choice(["Twitter Web App", "Twitter for iPhone", "Twitter for Android"])
        return t

    def long_form(self, tb, lang, users_out):
        """Turns the tweet begun in tb into a long-form post: returns (text, its entities, note_tweet).
        The note is tb's text continued with paragraphs up to exactly long_form_chars code points."""
        r, limit = self.rng, self.long_form_chars
        stop = "\u3002" if lang == "ja" else "."
        while tb.length < limit:
            tb.add("\n\n")
            for k in range(r.randrange(4, 9)):
                tb.add((" " if k else "") + r.choice(LANGS[lang][1]) + stop)
            if r.random() < 0.3:
                tag = r.choice(HASHTAGS)
                tb.add(" ")
                tb.entity("hashtags", "#" + tag, tag=tag)
            if r.random() < 0.1:
                m = r.choice(self.users)
                users_out[m["id"]] = m
                tb.add(" cc ")
                tb.entity("mentions", "@" + m["username"], username=m["username"], id=m["id"])
            if r.random() < 0.1:
                url = self.tco()
                domain = r.choice(DOMAINS)
                tb.add(" ")
                tb.entity("urls", url, url=url, expanded_url=f"https://{domain}/notes", display_url=f"{domain}/notes")
            if r.random() < 0.2:
                tb.add(" " + r.choice(EMOJI))

        def within(end):
            return {kind: kept for kind, es in tb.entities.items() if (kept := [e for e in es if e["end"] <= end])}

        note_text = tb.text()[:limit]
        cut = note_text.rfind(" ", 0, 279)
        cut = cut if cut > 0 else 279
        note = {"text": note_text}
        if within(limit):
            note["entities"] = within(limit)
        return note_text[:cut] + "\u2026", within(cut), note

    def page(self, n, created):
        tweets, users, places, media = [], {}, {}, {}
        for _ in range(n):
            tweets.append(self.tweet(created, users, places, media))
            created -= timedelta(milliseconds=self.rng.randrange(50, 4000))
        doc = {"data": tweets, "includes": {"users": list(users.values())}}
        if places:
            doc["includes"]["places"] = list(places.values())
        if media:
            doc["includes"]["media"] = list(media.values())
        doc["meta"] = {"newest_id": tweets[0]["id"], "oldest_id": tweets[-1]["id"], "result_count": len(tweets),
                       "next_token": "".join(self.rng.choice(string.ascii_lowercase + string.digits) for _ in range(45))}
        return doc, created


def check_entities(tweet):
    for kind, prefix in (("hashtags", "#"), ("cashtags", "$"), ("mentions", "@")):
        for e in tweet.get("entities", {}).get(kind, []):
            want = prefix + (e["tag"] if kind != "mentions" else e["username"])
            assert tweet["text"][e["start"]:e["end"]] == want, (tweet["id"], kind, e)
    for e in tweet.get("entities", {}).get("urls", []):
        assert tweet["text"][e["start"]:e["end"]] == e["url"], (tweet["id"], e)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--per-page", type=int, default=100)
    ap.add_argument("--long-form", action="store_true", help="every tweet a long-form post (note_tweet)")
    ap.add_argument("--long-form-chars", type=int, default=25000, help="code points of each note_tweet.text")
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    g = Generator(args.seed, args.long_form_chars if args.long_form else 0)
    created = NEWEST
    remaining, page_no, total_bytes = args.count, 0, 0
    while remaining > 0:
        n = min(args.per_page, remaining)
        doc, created = g.page(n, created)
        for t in doc["data"]:
            check_entities(t)
        page_no += 1
        body = surrogate_escape(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))
        path = os.path.join(args.out_dir, "page-%05d.json" % page_no)
        with open(path, "w", encoding="utf-8") as f:
            f.write(body)
        total_bytes += len(body.encode("utf-8"))
        remaining -= n
    kind = f"long-form ({args.long_form_chars}-character note_tweet) " if args.long_form else ""
    print(f"gen_pages: {args.count} {kind}tweets in {page_no} pages, {total_bytes / 1e6:.1f} MB, in {args.out_dir}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
