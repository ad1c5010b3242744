#!/usr/bin/env python3
"""Writes the project's own sample data (samples/) in the exact X API v2 response format.

Everything here is invented: the conference ("DataStreams Summit", Lisboa, 14 May 2024), the
accounts, the tweets, the ids, the links (t.co codes are random, expanded links use the reserved
.example domain). The recorded fixtures in ../shared/fixtures are never copied into the repository;
only their *shape* was used as a model.

Output (deterministic for a given SEED: running the script twice gives identical bytes):
  samples/search-page-1.json .. search-page-3.json   GET /2/tweets/search/recent, 20 tweets each,
                                                      newest first, meta.next_token chains 1 -> 2 -> 3
  samples/stream-capture.txt                          GET /2/tweets/search/stream: 10 events, one
                                                      compact JSON object per line ending in \\r\\n,
                                                      with bare \\r\\n keep-alive lines in between

Wire details reproduced on purpose: compact JSON; non-BMP characters (most emoji) written as UTF-16
surrogate-pair escapes (\\ud83d\\ude80) while BMP characters stay raw UTF-8; tweet text HTML-escaped
(&amp; &lt; &gt;); entity start/end are Unicode code-point offsets into that escaped text; ids are
19-digit strings whose high bits encode created_at (Snowflake); retweet text is "RT @user: " plus the
original, cut to 140 characters with "…".

Usage:
  scripts/make_sample_data.py            # (re)write samples/ and check it
  scripts/make_sample_data.py --check    # only check the files in samples/
  scripts/make_sample_data.py --out DIR  # write somewhere else

Python 3 standard library only.
"""

import argparse
import datetime as dt
import json
import os
import random
import re
import sys

SEED = 20240514
DAY = dt.datetime(2024, 5, 14, tzinfo=dt.timezone.utc)  # the conference day (UTC)
TWITTER_EPOCH_MS = 1288834974657
PAGE_SIZE = 20
SEARCH_QUERY_TAGS = {"datastreamssummit", "datastreams", "kafka", "elasticsearch", "kibana"}

# Filtered-stream rules the capture was "recorded" with: tag -> hashtags that match it.
STREAM_RULES = [
    ("datastreams-summit", {"datastreamssummit", "datastreams"}),
    ("kafka-talk", {"kafka"}),
    ("elasticsearch-ops", {"elasticsearch", "kibana"}),
]

# ---------------------------------------------------------------------------------------------
# Invented accounts. Handles are at most 15 characters, as on the real service.
# (username, display name, description, location, account created, followers, verified_type)
USERS = [
    ("DSSummitLisboa", "DataStreams Summit \U0001F680",
     "One day, one track, all about streaming data: Kafka, Elasticsearch, Kibana & the glue in "
     "between. Lisboa, 14 May 2024. #DataStreamsSummit", "Lisboa, Portugal", "2019-03-02", 4820, "blue"),
    ("lagwatch_ines", "Inês Lagoa", "Programme chair @DSSummitLisboa. Data platform lead. "
     "Opinions are my own, lag is everyone's.", "Lisboa", "2012-06-18", 2311, "none"),
    ("offset_oskar", "Oskar Offermann", "Stream processing, delivery semantics, bad puns. "
     "Commits offsets after the fact.", "Rotterdam", "2014-01-09", 1874, "none"),
    ("shardy_sam", "Sam Shardlow", "Search & indexing at scale. Ask me about _bulk.",
     "Manchester, UK", "2016-11-23", 958, "none"),
    ("retry_rhea", "Rhea Retallick", "SRE. Backoff enthusiast. Speaker at #DataStreamsSummit.",
     "Dublin", "2017-04-30", 1203, "blue"),
    ("backpres_ben", "Ben Pressman", "Kafka operator by day, sourdough operator by night \U0001F35E",
     "Leeds", "2013-08-14", 642, "none"),
    ("kibana_kat", "Kat Dashwood", "Dashboards or it didn't happen \U0001F4CA", "Bristol",
     "2018-02-11", 1530, "none"),
    ("lag_alert_bot", "Consumer Lag Bot \U0001F916",
     "Automated account. I watch consumer lag on the demo cluster so humans don't have to.",
     "", "2024-05-01", 87, "none"),
    ("bytes_bernd", "Bernd Bytemann", "Datenplattformen, Kafka & Elasticsearch. Spricht gern über "
     "Idempotenz.", "Hamburg", "2011-10-05", 1129, "none"),
    ("lena_loggt", "Lena Logmeier", "Backend-Entwicklerin. Logs, Metriken, Kaffee.", "Berlin",
     "2015-05-27", 774, "none"),
    ("camille_flux", "Camille Fluxe", "Ingénieure data. Flux, files d'attente et croissants.",
     "Lyon", "2014-09-12", 1361, "none"),
    ("julien_parts", "Julien Partage", "Dév backend, fan de partitions bien équilibrées.", "Nantes",
     "2019-12-03", 402, "none"),
    ("lucia_streams", "Lucía Corriente", "Ingeniera de datos. Ponente en #DataStreamsSummit.",
     "Valencia", "2016-03-21", 988, "none"),
    ("mateo_datos", "Mateo Datero", "Pipelines, colas y café con leche.", "Sevilla",
     "2020-07-15", 317, "none"),
    ("tomoko_topics", "ともこ｜ストリーム処理", "データ基盤エンジニア。Kafka と Elasticsearch の話をします。",
     "東京", "2013-04-08", 2045, "none"),
    ("kenji_lag", "けんじ@データ基盤", "SRE / データ基盤。コンシューマーラグを見守る係。", "大阪",
     "2018-10-19", 669, "none"),
    ("layla_pipeline", "ليلى | هندسة البيانات", "مهندسة بيانات. أكتب عن Kafka و Elasticsearch.",
     "دبي", "2017-01-26", 1412, "none"),
    ("omar_indexes", "عمر الفهارس", "مهندس بحث وفهرسة. القهوة أولاً.", "عمّان", "2015-11-02", 533,
     "none"),
    ("quiet_quorum", "Quinn Quorum", "Distributed systems, quietly.", "Edinburgh", "2012-02-29",
     2890, "none"),
    ("tejo_dev", "Rui Tejo", "Dev em Lisboa. Voluntário no #DataStreamsSummit.", "Lisboa",
     "2021-06-06", 211, "none"),
]

# Invented pages behind the t.co links; the .example domain is reserved (RFC 2606).
LINKS = {
    "slides_rhea": "https://datastreams-summit.example/2024/talks/backoff-is-a-feature/slides.pdf",
    "slides_kibana": "https://datastreams-summit.example/2024/workshops/kibana-live/slides",
    "blog_oskar": "https://oskar-offermann.example/2024/05/14/at-least-once-checklist",
    "schedule": "https://datastreams-summit.example/2024/schedule",
    "photos": "https://datastreams-summit.example/2024/photos",
    "recording": "https://datastreams-summit.example/2024/recordings/stream-replay-panel",
    "hilo": "https://datastreams-summit.example/2024/talks/particiones-y-orden",
}

PLACES = {
    "lisboa": {"full_name": "Lisboa, Portugal", "name": "Lisboa", "country": "Portugal",
               "country_code": "PT", "place_type": "city",
               "bbox": [-9.229835, 38.691395, -9.090570, 38.796474]},
    "berlin": {"full_name": "Berlin, Deutschland", "name": "Berlin", "country": "Deutschland",
               "country_code": "DE", "place_type": "city",
               "bbox": [13.088304, 52.338079, 13.760909, 52.675323]},
}

# ---------------------------------------------------------------------------------------------
# The tweets. `at` is the UTC time of day on DAY. Text is written unescaped (the script HTML-escapes
# it); {url:KEY} becomes a t.co link to LINKS[KEY], {media} the t.co link of the attached media.
# kind: post | reply | quote | retweet | quote_reply. `ref` is the referenced tweet (it goes into
# includes.tweets, never into data); replies get "@parent " prepended, quotes get the quoted
# tweet's link appended, a retweet's text is derived from its ref.
SEARCH = [
    # --- evening
    dict(at="17:58", author="lag_alert_bot", lang="en",
         text="✅ consumer group tweet-sink lag back to 37 on twitter-stream[3] #Kafka #DataStreams"),
    dict(at="17:52", author="lucia_streams", lang="es", place="lisboa",
         text="Primera vez en Lisboa y primera vez dando una charla en inglés \U0001F633 ¡Gracias a "
              "todos los que vinisteis! #DataStreamsSummit"),
    dict(at="17:47", author="omar_indexes", lang="ar", kind="retweet",
         ref=dict(author="layla_pipeline", lang="ar",
                  text="محاضرة رائعة اليوم عن معالجة البيانات المتدفقة مع #Kafka و #Elasticsearch "
                       "\U0001F44F #DataStreamsSummit")),
    dict(at="17:41", author="backpres_ben", lang="en", place="lisboa", point=True,
         text="Sunset over the Tejo after a long day. Great talks, better people \U0001F305 "
              "#DataStreamsSummit"),
    dict(at="17:35", author="lagwatch_ines", lang="en",
         text="Huge thanks to @camille_flux, @tomoko_topics and @quiet_quorum for the panel on "
              "stream replay. Recording soon: {url:recording} #DataStreamsSummit \U0001F64C"),
    dict(at="17:30", author="kenji_lag", lang="ja",
         text="今日学んだこと：\n1. 冪等プロデューサーは必須\n2. _bulk のレスポンスは1件ずつ確認\n"
              "3. オフセットは最後にコミット\n#Kafka #Elasticsearch"),
    dict(at="17:22", author="julien_parts", lang="fr",
         text="Petite pensée pour tous ceux qui ont encore un ZooKeeper en prod \U0001FAE1 #Kafka"),
    dict(at="17:16", author="mateo_datos", lang="es", kind="reply",
         ref=dict(author="lucia_streams", lang="es",
                  text="Terminada mi charla sobre particiones y orden. ¡Qué nervios! \U0001F605 "
                       "#DataStreamsSummit"),
         text="¡Enhorabuena! ¿Habrá grabación? Me la perdí por el taller \U0001F62D #DataStreams"),
    dict(at="17:09", author="DSSummitLisboa", lang="en", media=dict(type="video", alt=None),
         text="Missed the keynote? Here's the 60-second recap \U0001F3AC #DataStreamsSummit "
              "#DataStreams {media}"),
    dict(at="17:02", author="lena_loggt", lang="de",
         text="Frage in die Runde: Wer betreibt Kafka 3.9 im KRaft-Modus schon in Produktion? "
              "Erfahrungsberichte willkommen <3 #Kafka #DataStreams"),
    dict(at="16:55", author="layla_pipeline", lang="ar", kind="reply",
         ref=dict(author="omar_indexes", lang="ar",
                  text="أهم درس من ورشة العمل: لا تعتمد على HTTP 200 وحدها في طلبات _bulk، افحص كل "
                       "عنصر \U0001F50D #Elasticsearch"),
         text="بالضبط! والمفاتيح الثابتة ضرورية لضغط المواضيع في #Kafka"),
    dict(at="16:49", author="kibana_kat", lang="en",
         text="Kibana tip: map created_at as a date and ids as keywords, or your histograms will "
              "be very sad \U0001F4C9 #Kibana #Elasticsearch"),
    dict(at="16:41", author="bytes_bernd", lang="de",
         text="Größte Erkenntnis heute: Offsets erst committen, wenn Elasticsearch jedes Dokument "
              "bestätigt hat. Sonst verliert man beim Absturz Daten. \U0001F4A1 #DataStreams "
              "#Kafka"),
    dict(at="16:33", author="camille_flux", lang="fr", kind="retweet",
         ref=dict(author="DSSummitLisboa", lang="en",
                  text="Last session of the day starts in 10 minutes in Hall A: \"Replaying seven "
                       "days of tweets without duplicates\" \U0001F501 #DataStreamsSummit")),
    dict(at="16:27", author="tomoko_topics", lang="ja", media=dict(type="photo",
         alt="Kafka から Elasticsearch へのライブデモを見る参加者たち"),
         text="会場の様子です\U0001F4F8 Kafka → Elasticsearch のライブデモに人だかり！ "
              "#DataStreamsSummit {media}"),
    dict(at="16:20", author="shardy_sam", lang="en",
         text="PSA: the minimal Elasticsearch distribution ships without the ICU and kuromoji "
              "analyzers. Keep the default mapping to the standard analyzer & it runs "
              "everywhere. #Elasticsearch"),
    dict(at="16:12", author="lucia_streams", lang="es",
         text="Mi resumen de la charla en un hilo \U0001F9F5\U0001F447 {url:hilo} "
              "#DataStreamsSummit #Kafka"),
    dict(at="16:05", author="retry_rhea", lang="en", kind="quote",
         ref=dict(author="shardy_sam", lang="en",
                  text="Hot take from the hallway: most \"Elasticsearch is slow\" tickets are really "
                       "\"we sent 1 doc per request\" tickets. Batch your _bulk calls \U0001F64F "
                       "#Elasticsearch"),
         text="This. Also: check every item in the _bulk response, a 200 can still hide three "
              "mapping errors \U0001F440 #Elasticsearch"),
    dict(at="15:58", author="DSSummitLisboa", lang="en",
         poll=dict(options=[("Elasticsearch", 212), ("OpenSearch", 97), ("ClickHouse", 64),
                            ("Object storage", 41)], minutes=240),
         text="Quick poll for the sink panel \U0001F447 Where do your streams land? "
              "#DataStreamsSummit #DataStreams"),
    dict(at="15:51", author="offset_oskar", lang="en", kind="reply",
         ref=dict(author="camille_flux", lang="en",
                  text="Log compaction is underrated for replay. Keep the latest state per key and "
                       "a new consumer catches up in minutes. #Kafka"),
         text="Agreed, and compaction only helps if your keys are stable. We key by tweet id "
              "for exactly that reason. #Kafka"),
    # --- afternoon
    dict(at="15:44", author="tejo_dev", lang="pt",
         text="Amanhã há pastéis de nata no intervalo, prometido \U0001F609\U0001F1F5\U0001F1F9 "
              "#DataStreamsSummit"),
    dict(at="15:37", author="lena_loggt", lang="de", place="berlin",
         text="Schaue den Livestream vom #DataStreamsSummit aus Berlin. Die Folie zu "
              "Rebalancing-Stürmen war Gold wert \U0001F913 #Kafka"),
    dict(at="15:30", author="kenji_lag", lang="ja", kind="retweet",
         ref=dict(author="tomoko_topics", lang="ja",
                  text="DataStreams Summit 1日目の基調講演、めちゃくちゃ良かった…！"
                       "「リプレイできないパイプラインは本番ではない」名言 \U0001F525 "
                       "#DataStreamsSummit #Kafka")),
    dict(at="15:24", author="backpres_ben", lang="en",
         text="Rule of thumb from today's workshop: if consumer lag > 10k & growing, scale the "
              "consumers before you scale the brokers. If lag < 1k, leave it alone \U0001F60C "
              "#Kafka"),
    dict(at="15:17", author="mateo_datos", lang="es", kind="quote",
         ref=dict(author="backpres_ben", lang="en",
                  text="Batch size is a latency knob, not a throughput knob. Tune it last. "
                       "#Elasticsearch #DataStreams"),
         text="Esto nos pasó la semana pasada: 50 000 peticiones de un documento cada una \U0001F648 "
              "#Elasticsearch"),
    dict(at="15:10", author="camille_flux", lang="fr",
         text="Retour sur la session de l'après-midi : « at-least-once » côté source + des _id "
              "déterministes côté sink, c'est la combinaison gagnante \U0001F3C6 #Kafka "
              "#Elasticsearch"),
    dict(at="15:03", author="lag_alert_bot", lang="en",
         text="⚠️ consumer group tweet-sink lag 12,408 on twitter-stream[3] (threshold 10,000) "
              "#Kafka #DataStreams"),
    dict(at="14:57", author="backpres_ben", lang="en", kind="reply",
         ref=dict(author="lag_alert_bot", lang="en",
                  text="⚠️ consumer group tweet-sink lag 10,057 on twitter-stream[0] (threshold "
                       "10,000) #Kafka"),
         text="I see you. On it \U0001F3C3 #Kafka"),
    dict(at="14:50", author="omar_indexes", lang="ar",
         text="شكراً لفريق التنظيم على يوم مميز \U0001F31F #هندسة_البيانات #DataStreams"),
    dict(at="14:43", author="kibana_kat", lang="en", media=dict(type="photo",
         alt="A Kibana dashboard: tweets per minute by language, and end-to-end lag under two "
             "seconds"),
         text="Live dashboard at the demo booth: tweets → Kafka → Elasticsearch → Kibana, "
              "end-to-end lag under 2 s \U0001F4CA #Kibana #Elasticsearch {media}"),
    dict(at="14:36", author="bytes_bernd", lang="de", kind="reply",
         ref=dict(author="lena_loggt", lang="de",
                  text="Wie verhindert ihr Rebalancing-Stürme bei vielen Consumern? Wir sehen das "
                       "bei jedem Deployment. #Kafka"),
         text="Kooperatives Rebalancing & statische Mitgliedschaft – beides sofort ausprobieren! "
              "#Kafka"),
    dict(at="14:29", author="shardy_sam", lang="en", kind="retweet",
         ref=dict(author="DSSummitLisboa", lang="en",
                  text="The afternoon schedule is live: {url:schedule} Workshops in rooms 2 & 3, "
                       "the Kibana hands-on starts at 14:30 \U0001F4C5 #DataStreamsSummit")),
    dict(at="14:22", author="julien_parts", lang="fr",
         text="Le stand démo indexe les tweets en direct. Latence de bout en bout < 2 s, "
              "impressionnant \U0001F44F #Elasticsearch #DataStreams"),
    dict(at="14:15", author="lucia_streams", lang="es",
         text="¡Qué charla! «Particiones, claves y por qué tu orden no es el que crees» \U0001F92F "
              "#Kafka #DataStreamsSummit"),
    dict(at="14:08", author="quiet_quorum", lang="en",
         text="Overheard at the coffee line: \"$KFKA hoodies are nicer than $ELSX hoodies.\" "
              "Hard-hitting conference journalism \U0001F9E5 #DataStreamsSummit"),
    dict(at="14:01", author="layla_pipeline", lang="ar",
         text="نصيحة اليوم: أعد المحاولة مع تراجع أسّي وعشوائية، ولا تعد المحاولة أبداً مع خطأ 400 "
              "\U0001F6AB #DataStreams #Kafka"),
    dict(at="13:54", author="julien_parts", lang="fr", kind="reply",
         ref=dict(author="camille_flux", lang="fr",
                  text="Quelqu'un a les slides de l'atelier Kibana ? Je suis restée bloquée à la "
                       "pause café ☕\U0001F605 #Kibana"),
         text="Elles sont ici : {url:slides_kibana} \U0001F609 #Kibana"),
    dict(at="13:47", author="tomoko_topics", lang="ja",
         text="Elasticsearch の _bulk は1リクエストあたり 5〜15MB くらいが目安とのこと。"
              "メモしておく \U0001F4DD #Elasticsearch"),
    dict(at="13:40", author="retry_rhea", lang="en",
         text="Slides for my talk \"Backoff is a feature\" are up: {url:slides_rhea}\n\nCapped "
              "exponential + jitter, and please stop retrying 400s forever \U0001F605 #DataStreams"),
    dict(at="13:33", author="offset_oskar", lang="en",
         text="Wrote up my notes from the keynote, incl. the at-least-once checklist: "
              "{url:blog_oskar} #DataStreams #Kafka"),
    dict(at="13:26", author="kibana_kat", lang="qht", text="\U0001F680\U0001F680\U0001F680 #DataStreams"),
    # --- morning
    dict(at="12:58", author="lena_loggt", lang="de", kind="quote",
         ref=dict(author="offset_oskar", lang="en",
                  text="Keynote takeaway: \"exactly-once\" is a property of the whole pipeline, not "
                       "of one component. Idempotent producer + _id = event id + commit after "
                       "index. #DataStreams #Kafka"),
         text="Genau so machen wir das auch \U0001F447 #Kafka"),
    dict(at="12:51", author="bytes_bernd", lang="de",
         text="Gerade im Talk über Idempotenz gelernt: Eine Wiederholung ist nur dann harmlos, "
              "wenn der Empfänger sie erkennt. Dokument-ID = Tweet-ID, fertig. #Elasticsearch "
              "#DataStreams"),
    dict(at="12:44", author="kenji_lag", lang="ja",
         text="コンシューマーラグの監視、結局ラグの絶対値より増加率を見るのが一番という結論に。 "
              "#Kafka #データ基盤"),
    dict(at="12:37", author="shardy_sam", lang="en", kind="quote_reply",
         ref=dict(author="quiet_quorum", lang="en",
                  text="Unpopular opinion: your Elasticsearch cluster is not a database of record. "
                       "Kafka is. Reindex from the topic. #Kafka #Elasticsearch"),
         text="Not that unpopular here \U0001F604 The demo booth does exactly that. #DataStreams"),
    dict(at="12:30", author="DSSummitLisboa", lang="en",
         text="Lunch is served on the terrace \U0001F957 Vegan & gluten-free options are labelled. "
              "Sessions resume at 13:30. #DataStreamsSummit"),
    dict(at="12:12", author="mateo_datos", lang="es",
         text="Apuntes del taller: reintentos con backoff exponencial y jitter, nunca en bucle "
              "infinito. Y un topic de dead letters para lo que no se puede indexar \U0001F4EC "
              "#DataStreams #Kafka"),
    dict(at="11:58", author="retry_rhea", lang="en", kind="retweet",
         ref=dict(author="lucia_streams", lang="es",
                  text="Lista para mi charla de las 14:00 sobre particiones y orden de eventos "
                       "\U0001F4AA Sala B, ¡os espero! #DataStreamsSummit #Kafka")),
    dict(at="11:44", author="offset_oskar", lang="en",
         text="librdkafka tip of the day: serve your delivery reports. poll() is not optional, "
              "and flush() wants a deadline. #Kafka \U0001F9F5"),
    dict(at="11:31", author="backpres_ben", lang="en",
         text="Reminder that a full producer queue should slow down the reader, not grow memory "
              "until the OOM killer shows up \U0001F480 #Kafka"),
    dict(at="11:17", author="lagwatch_ines", lang="en",
         text="Panel question I couldn't answer on stage: how do you replay 7 days of search "
              "results without duplicates? You don't avoid them, you make them harmless "
              "(_id = tweet id). #DataStreams #Elasticsearch"),
    dict(at="11:03", author="camille_flux", lang="fr", media=dict(type="animated_gif", alt=None),
         text="Moi quand le rebalancing se termine enfin #Kafka {media}"),
    dict(at="10:49", author="tomoko_topics", lang="ja", kind="retweet",
         ref=dict(author="offset_oskar", lang="en",
                  text="\"If you can't replay it, it isn't production.\" Opening keynote at "
                       "#DataStreamsSummit, and the room went very quiet \U0001F62C #Kafka "
                       "#Elasticsearch #DataStreams")),
    dict(at="10:36", author="shardy_sam", lang="en",
         text="Today's bingo card:\n✅ \"just use Kafka\"\n✅ \"it depends\"\n⬜ someone says "
              "ZooKeeper in 2024\n#DataStreamsSummit \U0001F602"),
    dict(at="10:22", author="layla_pipeline", lang="ar", kind="quote",
         ref=dict(author="DSSummitLisboa", lang="en",
                  text="Keynote in 5 minutes, Hall A \U0001F3A4 #DataStreamsSummit"),
         text="في القاعة الآن، متحمسة جداً \U0001F929 #DataStreamsSummit"),
    dict(at="10:09", author="lagwatch_ines", lang="pt",
         text="Bem-vindos a Lisboa! \U0001F1F5\U0001F1F9 Obrigada a todos os voluntários que "
              "montaram a sala às 7h da manhã \u2764\ufe0f #DataStreamsSummit"),
    dict(at="09:55", author="lucia_streams", lang="es", kind="retweet",
         ref=dict(author="DSSummitLisboa", lang="en",
                  text="Doors are open! ☕ Registration is on level 0, the keynote starts at 09:30 in "
                       "Hall A. Welcome to #DataStreamsSummit \U0001F389")),
    dict(at="09:41", author="kibana_kat", lang="en", kind="reply",
         ref=dict(author="tejo_dev", lang="pt",
                  text="Wi-fi da conferência: rede DSS-Guest, senha no crachá \U0001F4F6 "
                       "#DataStreamsSummit"),
         text="Obrigada! Works great, even for pushing 10k docs/s to the demo cluster \U0001F604 "
              "#Elasticsearch"),
    dict(at="09:27", author="DSSummitLisboa", lang="en", media=dict(type="photo",
         alt="The registration desk with conference badges laid out in rows"),
         text="Doors are open! ☕ Registration is on level 0, the keynote starts at 09:30 in Hall "
              "A. Welcome to #DataStreamsSummit \U0001F389 {media}"),
    dict(at="09:13", author="kenji_lag", lang="ja",
         text="リスボン到着。時差ボケだけどラグはゼロ（のはず） \U0001F634 #DataStreamsSummit"),
]

STREAM = [
    dict(at="18:06", author="DSSummitLisboa", lang="en",
         text="That's a wrap! \U0001F389 Thank you speakers, volunteers and all 600 of you. "
              "Photos: {url:photos} #DataStreamsSummit"),
    dict(at="18:09", author="shardy_sam", lang="en", kind="reply",
         ref=dict(author="DSSummitLisboa", lang="en",
                  text="Closing remarks in Hall A in 5 minutes. Please don't leave yet, there are "
                       "stickers \U0001F973 #DataStreamsSummit"),
         text="Best conference of the year, hands down. #DataStreamsSummit"),
    dict(at="18:13", author="bytes_bernd", lang="de",
         text="Heimreise. Im Zug noch schnell den Consumer umgebaut: Offset-Commit erst nach "
              "erfolgreichem Bulk \U0001F686 #Kafka #Elasticsearch"),
    dict(at="18:17", author="tomoko_topics", lang="ja", kind="retweet",
         ref=dict(author="kenji_lag", lang="ja",
                  text="スライドまとめました！Kafka のオフセット管理と Elasticsearch の冪等な "
                       "インデックス作成について \U0001F4DA #Kafka #Elasticsearch")),
    dict(at="18:21", author="mateo_datos", lang="es", media=dict(type="photo",
         alt="Grupo de personas sonriendo delante de un cartel de la conferencia"),
         text="La foto del equipo después del taller \U0001F4F8 #DataStreamsSummit {media}"),
    dict(at="18:24", author="layla_pipeline", lang="ar", kind="quote",
         ref=dict(author="DSSummitLisboa", lang="en",
                  text="Save the date: DataStreams Summit returns next May \U0001F5D3\ufe0f "
                       "#DataStreamsSummit"),
         text="سأعود العام القادم بالتأكيد! \U0001F64C #DataStreamsSummit"),
    dict(at="18:29", author="lag_alert_bot", lang="en",
         text="⚠️ consumer group tweet-sink lag 10,912 on twitter-stream[1] (threshold 10,000) "
              "#Kafka"),
    dict(at="18:33", author="camille_flux", lang="fr", place="lisboa",
         text="Dernier café à Lisbonne avant l'avion ☕ À l'année prochaine #DataStreamsSummit !"),
    dict(at="18:38", author="retry_rhea", lang="en",
         text="Post-conf todo:\n- add jitter to the reconnect loop\n- alert on max backoff\n- stop "
              "treating 429 & usage-capped the same way\n#DataStreams #Kafka"),
    dict(at="18:44", author="kibana_kat", lang="en",
         text="Final numbers from the demo booth: 48,213 tweets indexed, 0 duplicates, 0 lost "
              "\U0001F3AF #Elasticsearch #DataStreams"),
]

# ---------------------------------------------------------------------------------------------
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
HASHTAG_RE = re.compile(r"(?<!\w)#(\w+)")
MENTION_RE = re.compile(r"(?<!\w)@(\w{1,15})")
CASHTAG_RE = re.compile(r"(?<!\w)\$([A-Za-z]{1,6})(?!\w)")
PLACEHOLDER_RE = re.compile(r"\{(url:[a-z_]+|media)\}")


def html_escape(s):
    """What the API does to tweet text: only &, < and > are escaped."""
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def display_url(url):
    bare = re.sub(r"^https?://(www\.)?", "", url)
    return bare if len(bare) <= 26 else bare[:26] + "…"


def to_wire_json(obj):
    """Compact JSON with BMP characters raw and non-BMP ones as surrogate-pair escapes."""
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    out = []
    for ch in s:
        cp = ord(ch)
        if cp > 0xFFFF:
            cp -= 0x10000
            out.append("\\u%04x\\u%04x" % (0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF)))
        else:
            out.append(ch)
    return "".join(out)


class Generator:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.used_ids = set()
        self.users = {}
        for (username, name, description, location, created, followers, vtype) in USERS:
            assert len(username) <= 15, username
            created_t = dt.datetime.fromisoformat(created).replace(
                tzinfo=dt.timezone.utc, hour=self.rng.randrange(24), minute=self.rng.randrange(60),
                second=self.rng.randrange(60))
            # Accounts from before Snowflake user ids (around 2016) have short sequential ids.
            uid = (self.snowflake(created_t) if created_t.year >= 2016
                   else str(self.rng.randrange(10**7, 2 * 10**9)))
            user = {
                "id": uid, "name": name, "username": username,
                "created_at": rfc3339(created_t), "description": html_escape(description),
                "location": location, "protected": False,
                "verified": vtype == "blue", "verified_type": vtype,
                "profile_image_url": "https://pbs.twimg.com/profile_images/%s/%s_normal.jpg" % (
                    self.snowflake(created_t + dt.timedelta(days=30)), self.code(8)),
                "public_metrics": {
                    "followers_count": followers,
                    "following_count": self.rng.randrange(80, 900),
                    "tweet_count": self.rng.randrange(300, 25000),
                    "listed_count": followers // self.rng.randrange(20, 60),
                    "like_count": self.rng.randrange(200, 40000),
                },
            }
            if not location:
                del user["location"]
            self.users[username.lower()] = user
        self.places = {}
        for key, p in PLACES.items():
            self.places[key] = {
                "id": "".join(self.rng.choice("0123456789abcdef") for _ in range(16)),
                "full_name": p["full_name"], "name": p["name"], "country": p["country"],
                "country_code": p["country_code"], "place_type": p["place_type"],
                "geo": {"type": "Feature", "bbox": p["bbox"], "properties": {}},
            }

    # -- ids and codes
    def snowflake(self, t):
        """A Snowflake id: milliseconds since the Twitter epoch << 22, plus random low bits."""
        while True:
            ms = int(t.timestamp() * 1000) + self.rng.randrange(1000)
            value = ((ms - TWITTER_EPOCH_MS) << 22) | self.rng.randrange(1 << 22)
            s = str(value)
            if s not in self.used_ids:
                self.used_ids.add(s)
                return s

    def code(self, n):
        return "".join(self.rng.choice(ALNUM) for _ in range(n))

    def tco(self):
        return "https://t.co/" + self.code(10)

    def user(self, username):
        return self.users[username.lower()]

    # -- text and entities
    def entities(self, text, url_entities):
        """Entities of the final (escaped) text, offsets in code points."""
        ents = {}
        hashtags = [{"start": m.start(), "end": m.end(), "tag": m.group(1)}
                    for m in HASHTAG_RE.finditer(text)]
        cashtags = [{"start": m.start(), "end": m.end(), "tag": m.group(1)}
                    for m in CASHTAG_RE.finditer(text)]
        mentions = []
        for m in MENTION_RE.finditer(text):
            u = self.users.get(m.group(1).lower())
            if u is not None:  # like the API: only existing accounts become mentions
                mentions.append({"start": m.start(), "end": m.end(), "username": u["username"],
                                 "id": u["id"]})
        urls = []
        for u in url_entities:
            start = text.find(u["url"])
            if start < 0:
                continue  # cut off (retweet truncation)
            e = {"start": start, "end": start + len(u["url"])}
            e.update(u)
            urls.append(e)
        urls.sort(key=lambda e: e["start"])
        for name, lst in (("hashtags", hashtags), ("cashtags", cashtags), ("mentions", mentions),
                          ("urls", urls)):
            if lst:
                ents[name] = lst
        return ents

    def metrics(self, author, popular=False):
        r = self.rng
        if author == "lag_alert_bot":
            like, rt = r.randrange(0, 4), r.randrange(0, 2)
        elif popular:
            like, rt = r.randrange(120, 900), r.randrange(30, 220)
        else:
            like, rt = r.randrange(0, 160), r.randrange(0, 40)
        return {"retweet_count": rt, "reply_count": r.randrange(0, 1 + like // 8),
                "like_count": like, "quote_count": r.randrange(0, 1 + rt // 4),
                "bookmark_count": r.randrange(0, 1 + like // 5),
                "impression_count": like * r.randrange(25, 90) + r.randrange(50, 400)}

    def tweet(self, spec, t, bundle, popular=False):
        """Builds one tweet (and what it references into `bundle`); returns the tweet object."""
        kind = spec.get("kind", "post")
        author = self.user(spec["author"])
        tid = self.snowflake(t)
        obj = {"edit_history_tweet_ids": [tid], "id": tid}

        ref_obj = None
        if "ref" in spec:
            ref_spec = dict(spec["ref"])
            ref_time = t - dt.timedelta(minutes=self.rng.randrange(6, 95))
            ref_obj = self.tweet(ref_spec, ref_time, bundle, popular=(kind == "retweet"))
            bundle["tweets"].append(ref_obj)

        url_entities = []
        media_obj = None
        if kind == "retweet":
            original = ref_obj
            ref_author = self.users_by_id(original["author_id"])
            full = "RT @%s: %s" % (ref_author["username"], original["text"])
            text, cut = full, len(full)
            if len(full) > 140:
                cut = 139
                amp = full.rfind("&", 0, cut)  # never cut inside &amp; / &lt; / &gt;
                if amp >= 0 and ";" not in full[amp:cut]:
                    cut = amp
                text = full[:cut] + "…"
            for u in original.get("entities", {}).get("urls", []):
                url_entities.append({k: v for k, v in u.items() if k not in ("start", "end")})
            # Entities of the whole retweet text; those the truncation cut into are dropped, as
            # the API does (offsets before the cut are the same in both texts).
            ents = self.entities(full, url_entities)
            for name in list(ents):
                ents[name] = [e for e in ents[name] if e["end"] <= cut]
                if not ents[name]:
                    del ents[name]
            obj["text"] = text
            obj["author_id"] = author["id"]
            obj["created_at"] = rfc3339(t)
            obj["conversation_id"] = tid
            obj["lang"] = original["lang"]
            obj["public_metrics"] = {"retweet_count": original["public_metrics"]["retweet_count"],
                                     "reply_count": 0, "like_count": 0, "quote_count": 0,
                                     "bookmark_count": 0, "impression_count": 0}
            if ents:
                obj["entities"] = ents
            obj["referenced_tweets"] = [{"type": "retweeted", "id": original["id"]}]
            obj["possibly_sensitive"] = False
            obj["reply_settings"] = "everyone"
            obj["edit_controls"] = {"edits_remaining": 5, "is_edit_eligible": False,
                                    "editable_until": rfc3339(t + dt.timedelta(hours=1))}
            bundle["users"].add(author["username"].lower())
            bundle["users"].add(ref_author["username"].lower())
            return obj

        raw = spec["text"]
        text = html_escape(raw)
        if kind in ("reply", "quote_reply"):
            text = "@%s %s" % (self.users_by_id(ref_obj["author_id"])["username"], text)

        def fill(m):
            nonlocal media_obj
            link = self.tco()
            if m.group(1) == "media":
                media_obj = self.media(spec["media"], t)
                kind_path = "photo" if spec["media"]["type"] == "photo" else "video"
                url_entities.append({
                    "url": link,
                    "expanded_url": "https://twitter.com/%s/status/%s/%s/1" % (
                        author["username"], tid, kind_path),
                    "display_url": "pic.twitter.com/" + link.rsplit("/", 1)[1],
                    "media_key": media_obj["media_key"]})
            else:
                expanded = LINKS[m.group(1)[4:]]
                url_entities.append({"url": link, "expanded_url": expanded,
                                     "display_url": display_url(expanded)})
            return link

        text = PLACEHOLDER_RE.sub(fill, text)
        if kind in ("quote", "quote_reply"):
            link = self.tco()
            quoted_user = self.users_by_id(ref_obj["author_id"])["username"]
            expanded = "https://twitter.com/%s/status/%s" % (quoted_user, ref_obj["id"])
            url_entities.append({"url": link, "expanded_url": expanded,
                                 "display_url": display_url(expanded)})
            text = "%s %s" % (text, link)

        obj["text"] = text
        obj["author_id"] = author["id"]
        obj["created_at"] = rfc3339(t)
        if kind in ("reply", "quote_reply"):
            obj["conversation_id"] = ref_obj["conversation_id"]
        else:
            obj["conversation_id"] = tid
        obj["lang"] = spec["lang"]
        obj["public_metrics"] = self.metrics(spec["author"], popular)
        ents = self.entities(text, url_entities)
        if ents:
            obj["entities"] = ents
        refs = []
        if kind in ("reply", "quote_reply"):
            refs.append({"type": "replied_to", "id": ref_obj["id"]})
            obj["in_reply_to_user_id"] = ref_obj["author_id"]
        if kind in ("quote", "quote_reply"):
            refs.append({"type": "quoted", "id": ref_obj["id"]})
        if refs:
            obj["referenced_tweets"] = refs
        if media_obj is not None:
            obj["attachments"] = {"media_keys": [media_obj["media_key"]]}
            bundle["media"].append(media_obj)
        if "poll" in spec:
            poll = self.poll(spec["poll"], t)
            obj.setdefault("attachments", {})["poll_ids"] = [poll["id"]]
            bundle["polls"].append(poll)
        if "place" in spec:
            place = self.places[spec["place"]]
            obj["geo"] = {"place_id": place["id"]}
            if spec.get("point"):
                west, south, east, north = place["geo"]["bbox"]
                lon = round(west + (east - west) * self.rng.uniform(0.3, 0.7), 8)
                lat = round(south + (north - south) * self.rng.uniform(0.3, 0.7), 8)
                obj["geo"]["coordinates"] = {"type": "Point", "coordinates": [lon, lat]}
            bundle["places"].append(place)
        obj["possibly_sensitive"] = False
        obj["reply_settings"] = "everyone"
        obj["edit_controls"] = {"edits_remaining": 5, "is_edit_eligible": True,
                                "editable_until": rfc3339(t + dt.timedelta(hours=1))}
        bundle["users"].add(author["username"].lower())
        for m in ents.get("mentions", []):
            bundle["users"].add(m["username"].lower())
        return obj

    def users_by_id(self, uid):
        for u in self.users.values():
            if u["id"] == uid:
                return u
        raise KeyError(uid)

    def media(self, m, t):
        kind = m["type"]
        prefix = {"photo": "3", "video": "7", "animated_gif": "16"}[kind]
        key = "%s_%s" % (prefix, self.snowflake(t - dt.timedelta(seconds=30)))
        code = self.code(15)
        if kind == "photo":
            w, h = self.rng.choice([(2048, 1536), (1536, 2048), (1200, 675), (2048, 1152)])
            obj = {"media_key": key, "type": "photo",
                   "url": "https://pbs.twimg.com/media/%s.jpg" % code, "width": w, "height": h}
        elif kind == "video":
            vid = key.split("_", 1)[1]
            obj = {"media_key": key, "type": "video", "duration_ms": 60060,
                   "preview_image_url": "https://pbs.twimg.com/ext_tw_video_thumb/%s/pu/img/%s.jpg"
                                        % (vid, code),
                   "width": 1280, "height": 720, "public_metrics": {"view_count": 4271},
                   "variants": [
                       {"bit_rate": 2176000, "content_type": "video/mp4",
                        "url": "https://video.twimg.com/ext_tw_video/%s/pu/vid/1280x720/%s.mp4"
                               % (vid, self.code(16))},
                       {"bit_rate": 832000, "content_type": "video/mp4",
                        "url": "https://video.twimg.com/ext_tw_video/%s/pu/vid/640x360/%s.mp4"
                               % (vid, self.code(16))},
                       {"content_type": "application/x-mpegURL",
                        "url": "https://video.twimg.com/ext_tw_video/%s/pu/pl/%s.m3u8"
                               % (vid, self.code(16))}]}
        else:
            vid = key.split("_", 1)[1]
            obj = {"media_key": key, "type": "animated_gif", "width": 498, "height": 280,
                   "preview_image_url": "https://pbs.twimg.com/tweet_video_thumb/%s.jpg" % code,
                   "variants": [{"bit_rate": 0, "content_type": "video/mp4",
                                 "url": "https://video.twimg.com/tweet_video/%s.mp4" % code}]}
        if m.get("alt"):
            obj["alt_text"] = m["alt"]
        return obj

    def poll(self, p, t):
        return {"id": self.snowflake(t), "voting_status": "closed",
                "duration_minutes": p["minutes"],
                "end_datetime": rfc3339(t + dt.timedelta(minutes=p["minutes"])),
                "options": [{"position": i + 1, "label": label, "votes": votes}
                            for i, (label, votes) in enumerate(p["options"])]}

    # -- responses
    def time_of(self, spec):
        hh, mm = map(int, spec["at"].split(":"))
        return DAY.replace(hour=hh, minute=mm, second=self.rng.randrange(60))

    def includes(self, bundle):
        inc = {}
        users, seen = [], set()
        for name in bundle["users_order"]:
            if name not in seen:
                seen.add(name)
                users.append(self.users[name])
        inc["users"] = users
        for key, id_field in (("tweets", "id"), ("media", "media_key"), ("places", "id"),
                              ("polls", "id")):
            lst, seen = [], set()
            for o in bundle[key]:
                if o[id_field] not in seen:
                    seen.add(o[id_field])
                    lst.append(o)
            if lst:
                inc[key] = lst
        return inc

    def build(self, specs, t_override=None):
        """Tweets for a list of specs, each with its own bundle of referenced objects."""
        out = []
        for spec in specs:
            bundle = {"users": _OrderedSet(), "tweets": [], "media": [], "places": [], "polls": []}
            t = self.time_of(spec)
            obj = self.tweet(spec, t, bundle)
            out.append((obj, bundle))
        return out

    def generate(self):
        search = self.build(SEARCH)
        search.sort(key=lambda x: int(x[0]["id"]), reverse=True)
        assert len(search) == 3 * PAGE_SIZE, len(search)
        pages = []
        tokens = [self.code(45).lower() for _ in range(2)]
        for p in range(3):
            chunk = search[p * PAGE_SIZE:(p + 1) * PAGE_SIZE]
            merged = {"users_order": [], "tweets": [], "media": [], "places": [], "polls": []}
            for obj, b in chunk:
                merged["users_order"].extend(b["users"])
                for k in ("tweets", "media", "places", "polls"):
                    merged[k].extend(b[k])
            data = [obj for obj, _ in chunk]
            meta = {"newest_id": data[0]["id"], "oldest_id": data[-1]["id"],
                    "result_count": len(data)}
            if p < 2:
                meta["next_token"] = tokens[p]
            pages.append({"data": data, "includes": self.includes(merged), "meta": meta})

        # Rule ids are Snowflakes too: the rules were added three days before the conference.
        rules = [(tag, self.snowflake(DAY - dt.timedelta(days=3, hours=-i)), tags)
                 for i, (tag, tags) in enumerate(STREAM_RULES)]
        events = []
        for obj, b in self.build(STREAM):
            merged = {"users_order": list(b["users"]), "tweets": b["tweets"], "media": b["media"],
                      "places": b["places"], "polls": b["polls"]}
            full_text = obj["text"]
            if obj.get("referenced_tweets", [{}])[0].get("type") == "retweeted":
                full_text = merged["tweets"][0]["text"]
            found = {m.group(1).lower() for m in HASHTAG_RE.finditer(full_text)}
            matching = [{"id": rid, "tag": tag} for tag, rid, tags in rules if found & tags]
            assert matching, obj["text"]
            events.append({"data": obj, "includes": self.includes(merged),
                           "matching_rules": matching})
        return pages, events


class _OrderedSet(list):
    def add(self, x):
        if x not in self:
            self.append(x)


def write_outputs(out_dir, pages, events):
    os.makedirs(out_dir, exist_ok=True)
    for i, page in enumerate(pages, 1):
        with open(os.path.join(out_dir, "search-page-%d.json" % i), "w", encoding="utf-8",
                  newline="") as f:
            f.write(to_wire_json(page))
    # Keep-alives (bare \r\n) after these events (1-based): one, two, one.
    keepalives_after = {2: 1, 5: 2, 8: 1}
    with open(os.path.join(out_dir, "stream-capture.txt"), "w", encoding="utf-8",
              newline="") as f:
        for i, ev in enumerate(events, 1):
            f.write(to_wire_json(ev) + "\r\n")
            if i < len(events):
                f.write("\r\n" * keepalives_after.get(i, 0))


# ---------------------------------------------------------------------------------------------
def check(out_dir):
    """Validates samples/ the way a consumer would; returns a list of problems (empty = good)."""
    problems = []
    all_ids = []
    languages = set()
    kinds = set()
    n_entities = 0

    def err(where, msg):
        problems.append("%s: %s" % (where, msg))

    def check_tweet(where, tw, inc):
        nonlocal n_entities
        text = tw["text"]
        if not re.fullmatch(r"[0-9]{19}", tw["id"]) or int(tw["id"]) >= 2**63:
            err(where, "id %r is not a 19-digit int64" % tw["id"])
        for key in ("author_id", "conversation_id", "in_reply_to_user_id"):
            if key in tw and int(tw[key]) >= 2**63:
                err(where, "%s does not fit in int64" % key)
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z", tw["created_at"]):
            err(where, "created_at %r" % tw["created_at"])
        if re.search(r"&(?!amp;|lt;|gt;)", text) or "<" in text or ">" in text:
            err(where, "text is not HTML-escaped: %r" % text)
        ents = tw.get("entities", {})
        users_by_name = {u["username"].lower(): u for u in inc.get("users", [])}
        for name, prefix, field in (("hashtags", "#", "tag"), ("cashtags", "$", "tag"),
                                    ("mentions", "@", "username"), ("urls", "", "url")):
            for e in ents.get(name, []):
                n_entities += 1
                want = prefix + e[field]
                got = text[e["start"]:e["end"]]
                if got != want:
                    err(where, "%s [%d,%d) is %r, want %r" % (name, e["start"], e["end"], got,
                                                             want))
                if name == "mentions":
                    u = users_by_name.get(e["username"].lower())
                    if u is None or u["id"] != e["id"]:
                        err(where, "mention @%s not in includes.users" % e["username"])
        user_ids = {u["id"] for u in inc.get("users", [])}
        if tw["author_id"] not in user_ids:
            err(where, "author %s not in includes.users" % tw["author_id"])
        if tw.get("in_reply_to_user_id") and tw["in_reply_to_user_id"] not in user_ids:
            err(where, "in_reply_to_user_id not in includes.users")
        languages.add(tw["lang"])

    def check_response(where, resp):
        inc = resp.get("includes", {})
        data = resp["data"] if isinstance(resp["data"], list) else [resp["data"]]
        inc_tweets = {t["id"]: t for t in inc.get("tweets", [])}
        media_keys = {m["media_key"] for m in inc.get("media", [])}
        place_ids = {p["id"] for p in inc.get("places", [])}
        poll_ids = {p["id"] for p in inc.get("polls", [])}
        for tw in data:
            check_tweet("%s data %s" % (where, tw["id"]), tw, inc)
            all_ids.append(tw["id"])
            for r in tw.get("referenced_tweets", []):
                kinds.add(r["type"])
                if r["id"] not in inc_tweets:
                    err(where, "referenced tweet %s not in includes.tweets" % r["id"])
            for k in tw.get("attachments", {}).get("media_keys", []):
                if k not in media_keys:
                    err(where, "media %s not in includes.media" % k)
            for k in tw.get("attachments", {}).get("poll_ids", []):
                if k not in poll_ids:
                    err(where, "poll %s not in includes.polls" % k)
            if "geo" in tw:
                kinds.add("geo")
                if tw["geo"]["place_id"] not in place_ids:
                    err(where, "place %s not in includes.places" % tw["geo"]["place_id"])
        for tid, tw in inc_tweets.items():
            check_tweet("%s includes.tweets %s" % (where, tid), tw, inc)
            all_ids.append(tid)
        return data

    raw_all = ""
    previous_oldest = None
    tokens = []
    for i in (1, 2, 3):
        path = os.path.join(out_dir, "search-page-%d.json" % i)
        with open(path, "rb") as f:
            raw = f.read().decode("utf-8")
        raw_all += raw
        page = json.loads(raw)
        data = check_response(path, page)
        meta = page["meta"]
        ids = [int(t["id"]) for t in data]
        if len(data) != PAGE_SIZE or meta["result_count"] != len(data):
            err(path, "want %d tweets and a matching result_count" % PAGE_SIZE)
        if ids != sorted(ids, reverse=True) or len(set(ids)) != len(ids):
            err(path, "data is not strictly newest first")
        if previous_oldest is not None and ids[0] >= previous_oldest:
            err(path, "not older than the previous page")
        previous_oldest = ids[-1]
        if meta["newest_id"] != data[0]["id"] or meta["oldest_id"] != data[-1]["id"]:
            err(path, "meta newest_id/oldest_id do not match data")
        if (i < 3) != ("next_token" in meta):
            err(path, "next_token must be on pages 1 and 2 only")
        tokens.append(meta.get("next_token"))
        for tw in data:
            tags = {h["tag"].lower() for h in tw.get("entities", {}).get("hashtags", [])}
            if not tags & SEARCH_QUERY_TAGS and "referenced_tweets" not in tw:
                err(path, "tweet %s does not match the search query" % tw["id"])
    if tokens[0] == tokens[1]:
        err("search pages", "next_tokens must differ")

    path = os.path.join(out_dir, "stream-capture.txt")
    with open(path, "rb") as f:
        raw = f.read().decode("utf-8")
    raw_all += raw
    if not raw.endswith("\r\n"):
        err(path, "must end with \\r\\n")
    lines = raw.split("\r\n")[:-1]
    if any("\n" in line or "\r" in line for line in lines):
        err(path, "a message contains a bare newline")
    events = [line for line in lines if line]
    keepalives = len(lines) - len(events)
    if len(events) != 10:
        err(path, "want 10 events, got %d" % len(events))
    if keepalives < 2:
        err(path, "want keep-alive lines between events")
    if not lines or not lines[0] or not lines[-1]:
        err(path, "keep-alives belong between events")
    for n, line in enumerate(events, 1):
        ev = json.loads(line)
        if set(ev) != {"data", "includes", "matching_rules"}:
            err(path, "event %d has keys %s" % (n, sorted(ev)))
        for r in ev["matching_rules"]:
            if not (isinstance(r["id"], str) and re.fullmatch(r"[0-9]{19}", r["id"])
                    and int(r["id"]) < 2**63 and isinstance(r["tag"], str)):
                err(path, "event %d: bad matching rule %r" % (n, r))
        check_response("%s event %d" % (path, n), ev)

    if len(all_ids) != len(set(all_ids)):
        dups = sorted({i for i in all_ids if all_ids.count(i) > 1})
        err("all files", "tweet ids repeat: %s" % dups)
    if any(ord(c) > 0xFFFF for c in raw_all):
        err("all files", "raw non-BMP character: must be a surrogate-pair escape")
    if not re.search(r"\\ud83[c-e]\\ud[c-f][0-9a-f]{2}", raw_all):
        err("all files", "no surrogate-pair escapes found")
    for lang in ("en", "de", "fr", "es", "ja", "ar"):
        if lang not in languages:
            err("all files", "no tweet in %s" % lang)
    for kind in ("retweeted", "quoted", "replied_to", "geo"):
        if kind not in kinds:
            err("all files", "no %s tweet" % kind)
    if "&amp;" not in raw_all or "&lt;" not in raw_all:
        err("all files", "want HTML-escaped text (&amp; and &lt;)")
    return problems, n_entities, len(all_ids)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--out", default=os.path.join(here, "..", "samples"),
                        help="output folder (default: samples/ in the repository)")
    parser.add_argument("--check", action="store_true", help="only check existing files")
    args = parser.parse_args()
    out_dir = os.path.normpath(args.out)
    if not args.check:
        pages, events = Generator(SEED).generate()
        write_outputs(out_dir, pages, events)
        print("wrote %s/{search-page-1,2,3.json,stream-capture.txt}" % out_dir)
    problems, n_entities, n_tweets = check(out_dir)
    for p in problems:
        print("PROBLEM: " + p, file=sys.stderr)
    if problems:
        return 1
    print("checked %d tweets and %d entities: OK" % (n_tweets, n_entities))
    return 0


if __name__ == "__main__":
    sys.exit(main())
