// wgsl-sources.h — the .wgsl files of src/backend/webgpu, embedded at build time: wasm/build.sh generates
// the definition (wgsl-sources.gen.cpp in the build directory) from the files themselves.
#pragma once

namespace sotto {

// The text of `name` (file name without .wgsl, e.g. "matmul", "dq-q4_0"), or null if there is none.
const char* wgsl_source(const char* name);

}  // namespace sotto
