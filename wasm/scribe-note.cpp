// scribe-note.cpp — apps/scribe/note.cpp compiled for the wasm build, unchanged. The WASI libc++ has no
// file system operations, so std::filesystem::is_regular_file, which load_template uses to find template
// files, is supplied here answering false: in the browser a template arrives as text (scribe-abi.cpp,
// template_from_text) and load_template is never called. note.cpp has a try { block (the chat-template
// fallback of write_note), so build.sh compiles this file with wasm EH.
// Does not: anything else; check_support, write_note and note_to_markdown are note.cpp's own code.
#include <filesystem>
#include <string>

namespace std::filesystem {
inline bool is_regular_file(const std::string&) { return false; }
}  // namespace std::filesystem

#include "../apps/scribe/note.cpp"
