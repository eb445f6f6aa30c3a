// Every example in configs/ must load: they are documentation that the loader checks.
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <google/protobuf/util/message_differencer.h>

#include "controlplane/config/config_file.h"
#include "gtest/gtest.h"

namespace causeway::config {
namespace {

std::vector<std::filesystem::path> ExampleFiles() {
  const char* dir = std::getenv("CAUSEWAY_CONFIGS_DIR");
  if (dir == nullptr) return {};
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto ext = entry.path().extension();
    if (ext == ".yaml" || ext == ".yml") files.push_back(entry.path());
  }
  return files;
}

TEST(Configs, EveryExampleLoads) {
  ASSERT_NE(std::getenv("CAUSEWAY_CONFIGS_DIR"), nullptr) << "set CAUSEWAY_CONFIGS_DIR";
  const auto files = ExampleFiles();
  // The four the README describes, at least.
  EXPECT_GE(files.size(), 4u);
  for (const auto& path : files) {
    absl::StatusOr<v1::State> state = LoadStateFile(path.string());
    EXPECT_TRUE(state.ok()) << state.status();
    if (!state.ok()) continue;
    // Examples are whole gateway states: each says where the gateway is and what it serves.
    EXPECT_TRUE(state->has_gateway()) << path;
    EXPECT_FALSE(state->clusters().empty()) << path;
    EXPECT_FALSE(state->services().empty()) << path;
    // `causewayctl get ... -o yaml` prints the same form: what it prints loads back unchanged.
    absl::StatusOr<v1::State> again = ParseStateYaml(ToYaml(*state), "printed");
    ASSERT_TRUE(again.ok()) << path << ": " << again.status();
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*state, *again)) << path;
    for (const auto& e : state->endpoints()) {
      bool known_cluster = false;
      for (const auto& c : state->clusters()) known_cluster |= c.name() == e.cluster();
      EXPECT_TRUE(known_cluster) << path << ": endpoint of unknown cluster " << e.cluster();
    }
  }
}

}  // namespace
}  // namespace causeway::config
