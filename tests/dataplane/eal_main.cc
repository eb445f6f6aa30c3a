// gtest main for dataplane tests: DPDK's EAL in-process, without hugepages or PCI, leaving no files.
#include <gtest/gtest.h>
#include <rte_eal.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // --in-memory cannot be combined with --no-huge (it implies legacy memory); --no-shconf and a
  // per-process prefix keep concurrent test binaries apart.
  const std::string prefix = "cw_dp_test_" + std::to_string(getpid());
  std::vector<std::string> args = {"causeway_dp_test", "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
                                   "--file-prefix", prefix,
                                   "--log-level=error", "-l", "0"};
  std::vector<char*> eal_argv;
  for (auto& a : args) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "rte_eal_init failed\n");
    return 1;
  }
  const int rc = RUN_ALL_TESTS();
  rte_eal_cleanup();
  // --no-shconf still creates the runtime directory; leave nothing behind.
  std::error_code ignored;
  std::filesystem::remove_all(std::filesystem::path("/var/run/dpdk") / prefix, ignored);
  return rc;
}
