// The filtered stream's framing (XStream, source-connector/x_stream.h), fed through a fake HttpClient
// that answers 200 and delivers the body in chunks whose sizes the input chooses (a chunk may split a
// line, a "\r\n" or a UTF-8 character anywhere), then hangs up.
//
// Oracles, for any bytes and any chunking:
//  * the same body delivered as one chunk gives the same messages and the same counters;
//  * against a plain model of the framing (lines end at "\n", one "\r" before it dropped): the lines
//    handled are the first complete lines of the body, each counted exactly once as a message, a
//    keep-alive (empty), a malformed line or the stream error that ends the connection; the messages
//    are exactly those lines, in order; a non-empty tail without "\n" is one partial line dropped
//    (unless a stream error ended the connection first).
//
// Input: byte 0 = n, the number of chunk sizes (0..15); the next n bytes = the sizes (1..256, used in
// turn); the rest = the body.

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/clock.h"
#include "common/http_client.h"
#include "source-connector/x_stream.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using tweetstream::fuzz::Check;

// Answers the first Stream() with 200 and the body in chunks, honouring on_data's "stop"; then
// raises *stop, as a caller stopping the connector would, so that Run() returns.
class ChunkedStreamClient : public tweetstream::common::HttpClient {
 public:
  ChunkedStreamClient(std::string body, std::vector<size_t> sizes, std::atomic<bool>* stop)
      : body_(std::move(body)), sizes_(std::move(sizes)), stop_(stop) {}
  absl::StatusOr<tweetstream::common::HttpResponse> Send(const tweetstream::common::HttpRequest&) override {
    return absl::UnimplementedError("stream only");
  }
  absl::Status Stream(const tweetstream::common::HttpRequest&, const std::function<bool(absl::string_view)>& on_data,
                      tweetstream::common::HttpResponse* head) override {
    ++calls_;
    if (calls_ > 1) {  // Run() reconnected (a stream error ended the connection): stop here.
      stop_->store(true);
      return absl::UnavailableError("fuzz: no second connection");
    }
    head->status = 200;
    size_t at = 0;
    for (size_t i = 0; at < body_.size(); ++i) {
      const size_t n = sizes_.empty() ? body_.size() : std::min(sizes_[i % sizes_.size()], body_.size() - at);
      const bool more = on_data(absl::string_view(body_).substr(at, n));
      at += n;
      if (!more) break;
    }
    stop_->store(true);
    return absl::OkStatus();
  }

 private:
  std::string body_;
  std::vector<size_t> sizes_;
  std::atomic<bool>* stop_;
  int calls_ = 0;
};

struct Outcome {
  std::vector<std::string> messages;
  tweetstream::source::XStreamStats stats;
};

Outcome RunStream(const std::string& body, const std::vector<size_t>& sizes) {
  std::atomic<bool> stop{false};
  ChunkedStreamClient http(body, sizes, &stop);
  tweetstream::common::FakeClock clock;
  tweetstream::source::XStreamOptions options;
  options.base_url = "http://127.0.0.1:1";
  options.bearer_token = "fuzz-token";
  auto stream = tweetstream::source::XStream::Create(&http, options, &clock);
  Check(stream.ok(), "XStream::Create failed");
  Outcome out;
  const absl::Status s = (*stream)->Run(
      [&](absl::string_view line, absl::string_view) { out.messages.emplace_back(line); }, &stop);
  Check(s.ok(), absl::StrCat("Run: ", s.ToString()));
  out.stats = (*stream)->Stats();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  tweetstream::fuzz::QuietLogs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t n = data[0] % 16;
  if (1 + n > size) n = size - 1;
  std::vector<size_t> sizes;
  for (size_t i = 0; i < n; ++i) sizes.push_back(1 + data[1 + i]);
  const std::string body(reinterpret_cast<const char*>(data) + 1 + n, size - 1 - n);

  const Outcome chunked = RunStream(body, sizes);
  const Outcome whole = RunStream(body, {});
  const auto& c = chunked.stats;
  const auto& w = whole.stats;
  Check(chunked.messages == whole.messages,
        absl::StrCat("messages differ with the chunking: ", chunked.messages.size(), " vs ", whole.messages.size()));
  Check(c.messages == w.messages && c.keep_alives == w.keep_alives &&
            c.malformed_lines_dropped == w.malformed_lines_dropped && c.stream_errors == w.stream_errors &&
            c.partial_lines_dropped == w.partial_lines_dropped,
        "counters differ with the chunking");

  // The model: complete lines, "\r" before "\n" dropped; the tail after the last "\n".
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl = body.find('\n'); nl != std::string::npos; nl = body.find('\n', start)) {
    std::string line = body.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    start = nl + 1;
  }
  const bool tail = start < body.size();
  const int64_t handled = c.messages + c.keep_alives + c.malformed_lines_dropped + c.stream_errors;
  Check(c.stream_errors <= 1, "more than one stream error on one connection");
  Check(c.stream_errors == 1 ? handled <= static_cast<int64_t>(lines.size())
                             : handled == static_cast<int64_t>(lines.size()),
        absl::StrCat(handled, " lines handled of ", lines.size(), " complete lines"));
  int64_t empty = 0;
  size_t next_message = 0;
  for (int64_t i = 0; i < handled; ++i) {
    const std::string& line = lines[static_cast<size_t>(i)];
    if (line.empty()) {
      ++empty;
    } else if (next_message < chunked.messages.size() && chunked.messages[next_message] == line) {
      ++next_message;
    }
  }
  Check(empty == c.keep_alives, absl::StrCat(c.keep_alives, " keep-alives counted, ", empty, " empty lines"));
  Check(next_message == chunked.messages.size(), "the messages are not complete lines of the body, in order");
  Check(static_cast<int64_t>(chunked.messages.size()) == c.messages, "messages delivered != counted");
  Check(c.partial_lines_dropped == ((tail && c.stream_errors == 0) ? 1 : 0),
        absl::StrCat("partial lines dropped: ", c.partial_lines_dropped, " (tail ", tail, ")"));
  for (const std::string& m : chunked.messages) {
    Check(!m.empty() && m.find('\n') == std::string::npos, "a message is empty or holds a line break");
  }
  return 0;
}
