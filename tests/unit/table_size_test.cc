#include "controlplane/maglev/table_size.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace causeway::maglev {
namespace {

using ::testing::HasSubstr;

TEST(TableSize, AcceptsPrimesInRange) {
  for (uint64_t m : {251ull, 65537ull, 655373ull, 5000011ull, 1000003ull}) {
    EXPECT_TRUE(ValidateTableSize(m).ok()) << m;
  }
}

TEST(TableSize, RejectsNonPrimesWithTheNearestPrimes) {
  const absl::Status s = ValidateTableSize(65536);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("65536 is not prime"));
  EXPECT_THAT(s.message(), HasSubstr("65521 and 65537"));
}

TEST(TableSize, RejectsOutOfRange) {
  EXPECT_THAT(ValidateTableSize(0).message(), HasSubstr("out of range"));
  EXPECT_THAT(ValidateTableSize(241).message(), HasSubstr("out of range"));
  EXPECT_THAT(ValidateTableSize(5000077).message(), HasSubstr("out of range"));
  EXPECT_THAT(ValidateTableSize(1ull << 40).message(), HasSubstr("out of range"));
}

TEST(TableSize, AutomaticListIsAscendingPrimes) {
  uint32_t previous = 0;
  for (uint32_t m : AutomaticTableSizes()) {
    EXPECT_TRUE(IsPrime(m)) << m;
    EXPECT_TRUE(ValidateTableSize(m).ok()) << m;
    EXPECT_GT(m, previous);
    previous = m;
  }
}

TEST(TableSize, AutomaticIsSmallestListedAtLeastHundredPerEndpoint) {
  EXPECT_EQ(AutomaticTableSize(0), 251u);
  EXPECT_EQ(AutomaticTableSize(1), 251u);
  EXPECT_EQ(AutomaticTableSize(3), 509u);
  EXPECT_EQ(AutomaticTableSize(10), 1021u);
  EXPECT_EQ(AutomaticTableSize(655), 65537u);
  EXPECT_EQ(AutomaticTableSize(1000), 131071u);
  EXPECT_EQ(AutomaticTableSize(6553), 655373u);
  EXPECT_EQ(AutomaticTableSize(65535), 5000011u);  // capped at the largest
}

}  // namespace
}  // namespace causeway::maglev
