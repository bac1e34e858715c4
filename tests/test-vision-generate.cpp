// test-vision-generate.cpp — `sotto generate --mmproj --image` on the tiny SmolVLM fixtures
// (tools/ref/make_vlm_fixtures.py): the greedy answer equals the PyTorch reference's, <image> placeholders, --schema,
// and the one-line errors (exit 1 for a bad file or prompt, 2 for a usage mistake).
#include <gtest/gtest.h>

#include <fstream>

#include "cli-run.h"
#include "core/file.h"

using namespace cli_run;

namespace {

const std::string kDir = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/vision/";
const std::string kLm = "-t 1 -m " + kDir + "tiny-vlm-f32.gguf --mmproj " + kDir + "tiny-mmproj-f32.gguf ";
const std::string kTwo = "--image " + kDir + "processor-small.png --image " + kDir + "processor-tall.png ";

class VisionGenerate : public CliTest {
 protected:
  VisionGenerate() : CliTest("vision-generate") {}
};

TEST_F(VisionGenerate, GreedyAnswerIsTheReferences) {
  // tiny-vlm.ref.gguf's greedy tokens: eight ':' (byte 58) for this prompt.
  Result r = run("generate " + kLm + kTwo + "-p 'What is in these pictures?' --temp 0 -n 8", false);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out, "::::::::\n");
  r = run("generate " + kLm + kTwo + "-p 'What is in these pictures?' --temp 0 -n 8 -b 5");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("sotto: images 2, 22 tiles, 88 <image> tokens"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("prompt 187 tokens"), std::string::npos) << r.out;
  // The same images at placeholders that stand first: the same prompt, the same answer.
  r = run("generate " + kLm + kTwo + "-p '<image><image>What is in these pictures?' --temp 0 -n 8", false);
  EXPECT_EQ(r.out, "::::::::\n");
  r = run("generate " + kLm + "--image " + kDir + "processor-wide.png -p 'Left: <image>. Count?' --temp 0 -n 3");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("sotto: images 1, 13 tiles, 52 <image> tokens"), std::string::npos) << r.out;
}

TEST_F(VisionGenerate, SchemaConstrainsTheAnswer) {
  const std::string schema = dir_ + "/s.json";
  std::ofstream(schema) << R"({"type":"object","properties":{"answer":{"enum":["yes","no"]}},"required":["answer"]})";
  const Result r = run("generate " + kLm + kTwo + "-p 'Is there a gauge?' --temp 0 -n 40 --schema " + schema, false);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(r.out.find("\"answer\"") != std::string::npos &&
              (r.out.find("\"yes\"") != std::string::npos || r.out.find("\"no\"") != std::string::npos)) << r.out;
  EXPECT_EQ(r.out.front(), '{') << r.out;
}

TEST_F(VisionGenerate, OneLineErrors) {
  Result r = run("generate -m " + kDir + "tiny-vlm-f32.gguf --image " + kDir + "processor-small.png -p hi");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("--image needs --mmproj"), std::string::npos) << r.out;
  EXPECT_EQ(lines(r.out), 1u) << r.out;

  r = run("generate " + kLm + kTwo + "-p '<image> <image> <image>?'");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("the prompt has 3 <image> placeholders for 2 images"), std::string::npos) << r.out;
  EXPECT_EQ(lines(r.out), 1u) << r.out;

  const std::string smol = std::string(SOTTO_SOURCE_DIR) + "/tests/fixtures/models/smollm2-f32.gguf";
  r = run("generate -t 1 -m " + smol + " --mmproj " + kDir + "tiny-mmproj-f32.gguf " + kTwo + "-p hi");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("tiny-mmproj-f32.gguf: projects images to 48 features but"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("has n_embd 64"), std::string::npos) << r.out;
  EXPECT_EQ(lines(r.out), 1u) << r.out;

  r = run("generate -t 1 -m " + kDir + "tiny-vlm-f32.gguf --mmproj " + smol + " " + kTwo + "-p hi");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("not a vision projector file"), std::string::npos) << r.out;
  EXPECT_EQ(lines(r.out), 1u) << r.out;

  const std::string png = sotto::read_file(kDir + "processor-small.png");
  const std::string cut = dir_ + "/cut.png";
  std::ofstream(cut, std::ios::binary) << png.substr(0, png.size() / 2);
  r = run("generate " + kLm + "--image " + cut + " -p hi");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("cut.png"), std::string::npos) << r.out;
  EXPECT_EQ(lines(r.out), 1u) << r.out;
}

}  // namespace
