#include "sluice/upstream/provider_secret.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace sluice::upstream {
namespace {

class SecretFile {
 public:
  explicit SecretFile(const std::string& content) {
    char name[] = "/tmp/sluice-secret-XXXXXX";
    int fd = mkstemp(name);
    if (fd >= 0) close(fd);
    path_ = name;
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~SecretFile() { unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

config::Provider from_file(const std::string& path) {
  config::Provider p;
  p.api_key_file = path;
  return p;
}

TEST(ProviderSecret, FileLosesOneTrailingLineEnding) {
  SecretFile lf("sk-live-1\n");
  EXPECT_EQ(load_provider_secret(from_file(lf.path())).secret, "sk-live-1");
  SecretFile crlf("sk-live-2\r\n");
  EXPECT_EQ(load_provider_secret(from_file(crlf.path())).secret, "sk-live-2");
}

TEST(ProviderSecret, FileWithALineBreakInsideIsRefused) {
  SecretFile f("sk-live\r\nx-injected: 1\n");
  SecretResult r = load_provider_secret(from_file(f.path()));
  EXPECT_TRUE(r.secret.empty());
  EXPECT_NE(r.error.find("control characters"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find(f.path()), std::string::npos) << r.error;
}

TEST(ProviderSecret, FileWithTwoTrailingLineEndingsIsRefused) {
  SecretFile f("sk-live\n\n");
  EXPECT_FALSE(load_provider_secret(from_file(f.path())).error.empty());
}

TEST(ProviderSecret, FileWithNulOrOtherControlByteIsRefused) {
  SecretFile nul(std::string("sk-\0live", 8));
  EXPECT_FALSE(load_provider_secret(from_file(nul.path())).error.empty());
  SecretFile tab("sk-\tlive");
  EXPECT_FALSE(load_provider_secret(from_file(tab.path())).error.empty());
  SecretFile del("sk-\x7flive");
  EXPECT_FALSE(load_provider_secret(from_file(del.path())).error.empty());
}

TEST(ProviderSecret, EnvironmentValueWithALineBreakIsRefused) {
  setenv("SLUICE_TEST_SECRET", "sk-live\nx-injected: 1", 1);
  config::Provider p;
  p.api_key_env = "SLUICE_TEST_SECRET";
  SecretResult r = load_provider_secret(p);
  EXPECT_TRUE(r.secret.empty());
  EXPECT_NE(r.error.find("SLUICE_TEST_SECRET"), std::string::npos) << r.error;
  setenv("SLUICE_TEST_SECRET", "sk-live", 1);
  EXPECT_EQ(load_provider_secret(p).secret, "sk-live");
  unsetenv("SLUICE_TEST_SECRET");
}

}  // namespace
}  // namespace sluice::upstream
