// Secrets from the environment or a file (common/secrets.h): what a user's file or variable can hold,
// and what the error then says (never the secret itself). The environment twins of flags are
// env_flags_test.cc's.

#include <cstdlib>
#include <fstream>
#include <string>

#include "common/secrets.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tweetstream::common {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class SecretsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    unsetenv("TS_TEST_SECRET");
    unsetenv("TS_TEST_SECRET_FILE");
  }
  std::string File(const std::string& name, const std::string& content) {
    const std::string path = ::testing::TempDir() + "/" + name;
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    return path;
  }
};

TEST_F(SecretsTest, TheVariableWinsAndTrailingWhitespaceIsNotPartOfIt) {
  setenv("TS_TEST_SECRET", "s3cr3t \n", 1);
  setenv("TS_TEST_SECRET_FILE", File("unused", "other").c_str(), 1);
  auto s = ReadSecret("TS_TEST_SECRET");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(*s, "s3cr3t");
}

TEST_F(SecretsTest, AFileWithWindowsLineEndsOrAByteOrderMarkGivesTheBareSecret) {
  setenv("TS_TEST_SECRET_FILE", File("crlf", "s3cr3t\r\n").c_str(), 1);
  auto crlf = ReadSecret("TS_TEST_SECRET");
  ASSERT_TRUE(crlf.ok()) << crlf.status();
  EXPECT_EQ(*crlf, "s3cr3t");
  // Notepad saves UTF-8 with a byte order mark: sent as it is, X would answer 401 for a valid token.
  setenv("TS_TEST_SECRET_FILE", File("bom", "\xEF\xBB\xBFs3cr3t\n").c_str(), 1);
  auto bom = ReadSecret("TS_TEST_SECRET");
  ASSERT_TRUE(bom.ok()) << bom.status();
  EXPECT_EQ(*bom, "s3cr3t");
}

TEST_F(SecretsTest, ASecretWithALineBreakInsideIsRefusedWithoutShowingIt) {
  // It would go into an HTTP header (Authorization: Bearer ...): a line break there splits the header.
  setenv("TS_TEST_SECRET_FILE", File("two-lines", "s3cr3t\nX-Other: 1\n").c_str(), 1);
  auto file = ReadSecret("TS_TEST_SECRET");
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("TS_TEST_SECRET_FILE"));
  EXPECT_THAT(std::string(file.status().message()), Not(HasSubstr("s3cr3t")));
  unsetenv("TS_TEST_SECRET_FILE");
  setenv("TS_TEST_SECRET", "s3cr3t\r\nX-Other: 1", 1);
  auto variable = ReadSecret("TS_TEST_SECRET");
  ASSERT_FALSE(variable.ok());
  EXPECT_EQ(variable.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(variable.status().message()), HasSubstr("TS_TEST_SECRET"));
  EXPECT_THAT(std::string(variable.status().message()), Not(HasSubstr("s3cr3t")));
}

TEST_F(SecretsTest, NeitherSetNamesBothVariables) {
  auto s = ReadSecret("TS_TEST_SECRET");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("TS_TEST_SECRET_FILE"));
}

TEST_F(SecretsTest, AFileThatCannotBeReadIsNamedAsSuch) {
  setenv("TS_TEST_SECRET_FILE", "/nonexistent/secret", 1);
  auto missing = ReadSecret("TS_TEST_SECRET");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("/nonexistent/secret"));
  // A directory (a mounted secret volume instead of the file in it) is not "empty": it cannot be read.
  setenv("TS_TEST_SECRET_FILE", ::testing::TempDir().c_str(), 1);
  auto directory = ReadSecret("TS_TEST_SECRET");
  ASSERT_FALSE(directory.ok());
  EXPECT_THAT(std::string(directory.status().message()), HasSubstr("cannot read"));
  setenv("TS_TEST_SECRET_FILE", File("empty", "\n").c_str(), 1);
  auto empty = ReadSecret("TS_TEST_SECRET");
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(std::string(empty.status().message()), HasSubstr("empty"));
}

TEST(WriteFileAtomicallyTest, ReplacesTheFileWholeAndNamesAPathItCannotWrite) {
  const std::string path = ::testing::TempDir() + "/status.json";
  ASSERT_TRUE(WriteFileAtomically(path, "first").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "second").ok());
  std::ifstream in(path);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "second");
  absl::Status s = WriteFileAtomically("/nonexistent/dir/status.json", "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), HasSubstr("/nonexistent/dir/status.json"));
}

}  // namespace
}  // namespace tweetstream::common
