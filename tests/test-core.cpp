// test-core.cpp — dtype conversions, the thread pool, and the capped file reads.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/error.h"
#include "core/file.h"
#include "core/thread-pool.h"

using namespace sotto;

TEST(Dtype, Fp16RoundTripsEveryHalf) {
  // Every finite half converts to float and back unchanged (independent of any table).
  for (uint32_t h = 0; h < 0x10000; h++) {
    const uint16_t x = uint16_t(h);
    if ((x & 0x7c00) == 0x7c00) continue;  // inf/nan
    EXPECT_EQ(f32_to_fp16(fp16_to_f32(x)), x) << std::hex << h;
  }
}

TEST(Dtype, Fp16KnownValues) {
  EXPECT_EQ(fp16_to_f32(0x3c00), 1.0f);
  EXPECT_EQ(fp16_to_f32(0xc000), -2.0f);
  EXPECT_EQ(fp16_to_f32(0x7bff), 65504.0f);
  EXPECT_EQ(fp16_to_f32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(f32_to_fp16(65520.0f), 0x7c00);               // overflow rounds to inf
  EXPECT_EQ(f32_to_fp16(1.0f + std::ldexp(1.0f, -11)), 0x3c00);  // tie to even
  EXPECT_EQ(f32_to_fp16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);
  EXPECT_EQ(f32_to_fp16(std::ldexp(1.0f, -25)), 0x0000);  // tie to even (zero)
  EXPECT_EQ(f32_to_fp16(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_TRUE(std::isnan(fp16_to_f32(f32_to_fp16(NAN))));
}

TEST(Dtype, Bf16) {
  EXPECT_EQ(bf16_to_f32(f32_to_bf16(1.5f)), 1.5f);
  EXPECT_EQ(f32_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3f80);  // tie to even
  EXPECT_EQ(f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3f82);
}

TEST(Dtype, RowBytes) {
  EXPECT_EQ(dtype_row_bytes(DType::Q8_0, 64), 68u);
  EXPECT_EQ(dtype_row_bytes(DType::Q4_K, 512), 288u);
  EXPECT_EQ(dtype_row_bytes(DType::F16, 3), 6u);
  EXPECT_THROW(dtype_row_bytes(DType::Q4_0, 33), Error);
  EXPECT_THROW(dtype_from_name("q3_k"), Error);
}

TEST(ThreadPool, CoversRangeExactlyOnce) {
  ThreadPool pool(4);
  for (int64_t n : {0, 1, 3, 7, 64, 1000, 4097}) {
    for (int64_t grain : {1, 4, 32}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      for (int rep = 0; rep < 50; rep++) {
        pool.parallel_for(n, [&](int64_t b, int64_t e, int) {
          EXPECT_TRUE(b % grain == 0);
          for (int64_t i = b; i < e; i++) hits[size_t(i)]++;
        }, grain);
      }
      for (int64_t i = 0; i < n; i++) ASSERT_EQ(hits[size_t(i)].load(), 50) << n << " " << grain;
    }
  }
}

// A thread count past the limit is a one-line error, not an attempt to start 100,000 threads (issue 15).
TEST(ThreadPool, CountAboveTheLimitIsAnError) {
  for (int n : {kMaxPoolThreads + 1, 100000}) {
    try {
      ThreadPool pool(n);
      ADD_FAILURE() << n << " threads accepted";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), "thread count " + std::to_string(n) + " is above the limit of 1024");
    }
  }
}

// Every read is capped, and the error names the limit (issue 15: /dev/zero grew without bound).
TEST(File, ReadsAreCapped) {
  const std::string p = (std::filesystem::temp_directory_path() / "sotto-core-cap.txt").string();
  {
    std::FILE* f = std::fopen(p.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    const std::string body(100000, 'x');
    std::fwrite(body.data(), 1, body.size(), f);
    std::fclose(f);
  }
  EXPECT_EQ(read_file(p).size(), 100000u);
  EXPECT_EQ(read_file(p, 100000).size(), 100000u);
  try {
    read_file(p, 99999);
    ADD_FAILURE() << "read past the cap";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), p + ": larger than the 99999 bytes limit for this input");
  }
  try {
    read_file("/dev/zero", size_t(1) << 20);
    ADD_FAILURE() << "/dev/zero read to the end";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "/dev/zero: larger than the 1 MiB limit for this input");
  }
  EXPECT_EQ(kMaxReadBytes, size_t(256) << 20);
  std::FILE* z = std::fopen("/dev/zero", "rb");
  ASSERT_NE(z, nullptr);
  EXPECT_THROW(read_stream(z, "stdin", 64 << 10), Error);
  std::fclose(z);
  std::filesystem::remove(p);
}
