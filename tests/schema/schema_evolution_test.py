"""The schema evolves only compatibly (issue 14, point 2), tested for real: a consumer built from the last
released schema (the checked-in image proto/released/tweetstream-v1.binpb) and one built from a next
version that adds fields as proto/README.md's rules allow (a new optional field in Tweet, a new message
field in TweetEnvelope whose message is appended at the end of tweet.proto, so TweetEnvelope stays
message index [0] for the Confluent wire format):

* the old consumer reads records of the new schema: every field it knows equals, the added ones are kept
  as unknown fields and survive its re-serialization intact (a relay built on the old schema loses nothing);
* the new consumer reads records of the old schema: the added fields are unset, everything else equals;
* tweet-sink (C++, built from the current schema) indexes a record of the new schema from the real topic
  into the real Elasticsearch: the known fields are in the document, nothing is dead-lettered;
* buf breaking (proto/buf.yaml) accepts that next version (scripts/check-proto.sh on a copy of proto/)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import schema_common as sc  # noqa: E402

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory  # noqa: E402
from google.protobuf import unknown_fields  # noqa: E402

TWEET_PROTO = os.path.join("tweetstream", "tweet", "v1", "tweet.proto")


def envelope_class(file_set_bytes):
    """TweetEnvelope of a FileDescriptorSet, in a pool of its own (two versions of one file side by side)."""
    file_set = descriptor_pb2.FileDescriptorSet.FromString(file_set_bytes)
    pool = descriptor_pool.DescriptorPool()
    for f in file_set.file:
        pool.Add(f)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("tweetstream.tweet.v1.TweetEnvelope"))


def next_version_proto(text):
    """tweet.proto with fields added the way proto/README.md allows."""
    text, n1 = re.subn(r"(\n  string card_uri = 35;\n)", r"\1  // Added in the next version.\n"
                       r"  optional string added_in_v2 = 36;\n", text)
    text, n2 = re.subn(r"(\n  repeated ApiError errors = 15;\n)", r"\1  AddedInfo added_info = 16;\n", text)
    text += "\n// Added in the next version, appended so that TweetEnvelope stays the first message.\n" \
            "message AddedInfo {\n  string note = 1;\n  int64 big = 2;\n}\n"
    assert n1 == 1 and n2 == 1, "tweet.proto changed: update next_version_proto"
    return text


def sample(cls):
    e = cls()
    e.tweet.id = "1460323737035677698"  # above 2^53
    e.tweet.text = "emoji \U0001F680\U0001F3F3\uFE0F\u200D\U0001F308, right-to-left \u05E9\u05DC\u05D5\u05DD \u0645\u0631\u062D\u0628\u0627"
    e.tweet.author_id = "2244994945"
    e.tweet.created_at.seconds = 1637000000
    e.tweet.lang = "en"
    e.tweet.public_metrics.like_count = 0  # optional: present and zero
    e.tweet.edit_history_tweet_ids.append("1460323737035677698")
    e.tweet.note_tweet.text = "long form " * 500
    e.tweet.extra_fields_json = '{"unmodelled":true}'
    e.author.id = "2244994945"
    e.author.username = "XDevelopers"
    e.ingestion.connector = "schema-evolution-test"
    e.response_extra_fields_json = '{"includes":{"topics":[]}}'
    return e


class SchemaEvolutionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(sc.RELEASED_IMAGE, "rb") as f:
            cls.Old = envelope_class(f.read())
        cls.work = tempfile.mkdtemp(prefix="tweetstream-v2-")
        shutil.copytree(sc.PROTO_DIR, os.path.join(cls.work, "proto"))
        path = os.path.join(cls.work, "proto", TWEET_PROTO)
        with open(path) as f:
            text = f.read()
        with open(path, "w") as f:
            f.write(next_version_proto(text))
        out = os.path.join(cls.work, "v2.binpb")
        sc.protoc([f"-I{os.path.join(cls.work, 'proto')}", "--include_imports", f"--descriptor_set_out={out}",
                   TWEET_PROTO])
        with open(out, "rb") as f:
            cls.New = envelope_class(f.read())

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def new_record(self):
        e = sample(self.New)
        e.tweet.added_in_v2 = "kept \U0001F9EA"
        e.added_info.note = "appended message"
        e.added_info.big = 2 ** 62 + 1
        return e

    def test_the_old_consumer_keeps_added_fields_as_unknown_and_reserializes_them_intact(self):
        written = self.new_record()
        old = self.Old.FromString(written.SerializeToString())
        # What it knows equals the record; the known part is exactly the old schema's message.
        self.assertEqual(old.tweet.id, written.tweet.id)
        self.assertEqual(old.tweet.text, written.tweet.text)
        self.assertEqual(old.tweet.note_tweet.text, written.tweet.note_tweet.text)
        self.assertEqual(old.author.username, "XDevelopers")
        self.assertTrue(old.tweet.public_metrics.HasField("like_count"))
        known = sample(self.Old)  # the same record written with the old schema
        old_without_unknown = self.Old()
        old_without_unknown.CopyFrom(old)
        old_without_unknown.DiscardUnknownFields()
        self.assertEqual(old_without_unknown.SerializeToString(deterministic=True),
                         known.SerializeToString(deterministic=True))
        # The added fields are there, as unknown fields of the messages they belong to.
        self.assertEqual([f.field_number for f in unknown_fields.UnknownFieldSet(old.tweet)], [36])
        self.assertEqual([f.field_number for f in unknown_fields.UnknownFieldSet(old)], [16])
        # Re-serialized by the old consumer (e.g. a relay), read by the new one: nothing lost.
        relayed = self.New.FromString(old.SerializeToString())
        self.assertEqual(relayed, written)
        self.assertEqual(relayed.tweet.added_in_v2, "kept \U0001F9EA")
        self.assertEqual(relayed.added_info.big, 2 ** 62 + 1)

    def test_the_new_consumer_reads_old_records_with_the_added_fields_unset(self):
        written = sample(self.Old)
        new = self.New.FromString(written.SerializeToString())
        self.assertFalse(new.tweet.HasField("added_in_v2"))
        self.assertFalse(new.HasField("added_info"))
        self.assertEqual(len(unknown_fields.UnknownFieldSet(new)), 0)
        self.assertEqual(new.SerializeToString(deterministic=True), written.SerializeToString(deterministic=True))
        self.assertEqual(new.tweet.text, written.tweet.text)
        self.assertEqual(new.tweet.public_metrics.like_count, 0)
        self.assertTrue(new.tweet.public_metrics.HasField("like_count"))

    def test_buf_breaking_accepts_the_next_version(self):
        result = subprocess.run(["bash", os.path.join(sc.SOURCE_DIR, "scripts", "check-proto.sh"),
                                 os.path.join(self.work, "proto")], capture_output=True, text=True, timeout=300)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_tweet_sink_indexes_a_record_of_the_next_version(self):
        from confluent_kafka import Producer
        topic, index = sc.unique("schema-evolution"), sc.unique("schema-evolution")
        try:
            written = self.new_record()
            producer = Producer({"bootstrap.servers": sc.KAFKA, "enable.idempotence": True})
            producer.produce(topic, key=written.tweet.id.encode(), value=written.SerializeToString())
            self.assertEqual(producer.flush(30), 0)
            sc.run_sink(topic, index, sc.unique("schema-evolution"))
            docs = sc.es_documents(index)
            self.assertEqual(set(docs), {written.tweet.id})
            doc = docs[written.tweet.id]
            self.assertEqual(doc["text"], written.tweet.text)
            self.assertEqual(doc["note_tweet"]["text"], written.tweet.note_tweet.text)
            self.assertEqual(doc["author"]["username"], "XDevelopers")
            self.assertNotIn("added_in_v2", doc)
        finally:
            sc.delete_index(index)
            sc.delete_topics(topic)


if __name__ == "__main__":
    unittest.main(verbosity=2)
