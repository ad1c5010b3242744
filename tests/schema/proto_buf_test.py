"""buf guards the schema contract (issue 14, point 2): scripts/check-proto.sh (buf lint + buf breaking against
the released image proto/released/tweetstream-v1.binpb, rules in proto/buf.yaml) passes on proto/ as it is,
and fails, naming the field, on copies of proto/ that break the rules of proto/README.md: a renumbered field,
a changed type, a renamed field, a field removed without reserving its number and name; it accepts a removal
that reserves both. The released image itself is the schema of main when it was cut: its TweetEnvelope has
the same fields, numbers and types as proto/ today (until a release changes it on purpose)."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import schema_common as sc  # noqa: E402

TWEET_PROTO = os.path.join("tweetstream", "tweet", "v1", "tweet.proto")
CHECK = os.path.join(sc.SOURCE_DIR, "scripts", "check-proto.sh")


def check(proto_dir):
    result = subprocess.run(["bash", CHECK, proto_dir], capture_output=True, text=True, timeout=300)
    return result.returncode, result.stdout + result.stderr


class ProtoBufTest(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="tweetstream-buf-")

    def tearDown(self):
        shutil.rmtree(self.work, ignore_errors=True)

    def mutated(self, old, new):
        """A copy of proto/ with `old` replaced by `new` (once) in tweet.proto."""
        copy = os.path.join(self.work, "proto")
        shutil.copytree(sc.PROTO_DIR, copy)
        path = os.path.join(copy, TWEET_PROTO)
        with open(path) as f:
            text = f.read()
        self.assertEqual(text.count(old), 1, old)
        with open(path, "w") as f:
            f.write(text.replace(old, new))
        return copy

    def test_the_repository_passes_lint_and_breaking(self):
        code, out = check(sc.PROTO_DIR)
        self.assertEqual(code, 0, out)
        self.assertIn("check-proto: lint and breaking", out)

    def test_breaking_changes_are_refused_naming_the_field(self):
        tweet_block = "  // Text as the API delivered it: UTF-8, HTML-escaped (`&amp;`), entity offsets count code points of it.\n"
        cases = {
            "renumbered": ("  string text = 2;\n", "  string text = 40;\n", 'field "2" with name "text"'),
            "retyped": ("  // BCP 47 language tag, or a pseudo-code such as `und`, `qst`, `zxx`.\n  string lang = 7;\n",
                        "  int32 lang = 7;\n", '"lang"'),
            "renamed": ("  string author_id = 3;\n", "  string user_id = 3;\n", '"author_id"'),
            "removed without reserving": (tweet_block + "  string text = 2;\n", "", '"text"'),
        }
        for what, (old, new, named) in cases.items():
            with self.subTest(what):
                shutil.rmtree(os.path.join(self.work, "proto"), ignore_errors=True)
                code, out = check(self.mutated(old, new))
                self.assertNotEqual(code, 0, f"{what}: buf accepted it\n{out}")
                self.assertIn(named, out, what)
                self.assertIn("tweet.proto", out, what)

    def test_a_removal_that_reserves_number_and_name_is_accepted(self):
        copy = self.mutated("  string text = 2;\n", '  reserved 2;\n  reserved "text";\n')
        code, out = check(copy)
        self.assertEqual(code, 0, out)

    def test_lint_refuses_a_message_that_breaks_the_style(self):
        copy = self.mutated("message PollOption {", "message poll_option_v2 {}\n\nmessage PollOption {")
        code, out = check(copy)
        self.assertNotEqual(code, 0, out)
        self.assertIn("PascalCase", out)

    def test_the_released_image_is_the_schema_of_tweet_proto(self):
        from google.protobuf import descriptor_pb2
        with open(sc.RELEASED_IMAGE, "rb") as f:
            image = descriptor_pb2.FileDescriptorSet.FromString(f.read())
        released = {f.name: f for f in image.file}
        self.assertIn("tweetstream/tweet/v1/tweet.proto", released)
        out = os.path.join(self.work, "now.binpb")
        sc.protoc([f"-I{sc.PROTO_DIR}", f"--descriptor_set_out={out}", TWEET_PROTO])
        with open(out, "rb") as f:
            now = descriptor_pb2.FileDescriptorSet.FromString(f.read()).file[0]

        def fields(file):
            return {(m.name, fl.name): (fl.number, fl.type, fl.label) for m in file.message_type for fl in m.field}
        self.assertEqual(fields(released["tweetstream/tweet/v1/tweet.proto"]), fields(now))


if __name__ == "__main__":
    unittest.main(verbosity=2)
