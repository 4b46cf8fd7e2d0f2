// SPDX-License-Identifier: Apache-2.0
// Why this is bounded, in three passes over at most 1 MiB (load_config's cap):
//
// 1. A byte count. yaml-cpp 0.7's scanner keeps every token of a flow collection that could
//    be a simple key ("[a, b]: c") queued until the collection closes, ~130 bytes a token:
//    a 1 MB "[a,a,a,...]" takes 240 MB before the parser sees one event. Every token the
//    scanner makes starts at an indicator byte or a line break, or is a scalar right after
//    one (a plain scalar ends only at an indicator or a line break), or is a KEY, VALUE or
//    BLOCK_* token that goes with one of those. So tokens <= ~3 x (indicator bytes + line
//    breaks + 1), and capping that count caps the queue, whatever the nesting.
// 2. One event pass (YAML::Parser, no nodes) through GuardHandler, which counts values,
//    entries per collection and depth, refuses anchors and aliases (an alias shares a node:
//    999 aliases of one 200,000-name list expand to 200 million names when walked) and
//    stops at the first event of a second document. It calls HandleNextDocument at most
//    twice: never in a loop, which is how YAML::LoadAll hangs on ",\n" (yaml-cpp #1040,
//    the parser makes a null document without consuming the ',').
// 3. The caller's YAML::Load then parses the same text, making the same events: its nodes
//    are the ones counted in pass 2.
#include "config/yaml_guard.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <sstream>
#include <string>
#include <vector>

namespace port_exporter::yaml {
namespace {

constexpr std::string_view kIndicators = "-?:,[]{}#&*!|>'\"%@`\n";

Position position_at(std::string_view text, std::size_t offset) {
  Position p{1, 1};
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++p.line;
      p.column = 1;
    } else {
      ++p.column;
    }
  }
  return p;
}

bool check_structure(std::string_view text, std::size_t limit, Diagnostics& diag) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (kIndicators.find(text[i]) == std::string_view::npos || ++count <= limit) continue;
    diag.add(position_at(text, i), "",
             "too much YAML structure: more than " + std::to_string(limit) +
                 " indicator characters (- : , [ ] { } quotes and the like) and lines; a "
                 "config of 1000 ports needs about a third of that");
    return false;
  }
  return true;
}

// Counts and checks the events of a document without building it. Budget errors throw
// Stop: past them the parse would only cost more.
class GuardHandler final : public YAML::EventHandler {
 public:
  struct Stop {};

  GuardHandler(const Limits& limits, Diagnostics& diag) : limits_(limits), diag_(diag) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ == 1) {
      first_document_ = position_of(mark);
      return;
    }
    const Position at = position_of(mark);
    if (at.line == first_document_.line && at.column == first_document_.column) {
      // yaml-cpp made an empty document without moving: a token it cannot start a
      // document with, e.g. a line that starts with ','.
      fatal(at, "", "invalid YAML: unexpected token where a document should start");
    }
    fatal(at, "", "more than one YAML document; expected one");
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    value(mark, anchor, nullptr);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t /*anchor*/) override {
    value(mark, YAML::NullAnchor, nullptr);
    diag_.add(position_of(mark), path(),
              "aliases (*name) are not supported: write the value out (an alias can make a "
              "small file expand to gigabytes)");
  }
  void OnScalar(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                const std::string& text) override {
    value(mark, anchor, &text);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value /*style*/) override {
    open(mark, anchor, /*map=*/false);
  }
  void OnSequenceEnd() override { stack_.pop_back(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value /*style*/) override {
    open(mark, anchor, /*map=*/true);
  }
  void OnMapEnd() override { stack_.pop_back(); }

 private:
  struct Frame {
    bool map;
    std::size_t events = 0;  // a map's keys and values, a list's items
    std::string key;         // a map's latest key: the path of the value that follows it
  };

  [[noreturn]] void fatal(Position at, const std::string& where, const std::string& message) {
    diag_.add(at, where, message);
    throw Stop{};
  }

  // The key path of the value last counted ("ports[3].allowed_processes"), through the
  // outermost `frames` collections.
  std::string path(std::size_t frames) const {
    std::string out;
    for (std::size_t i = 0; i < frames && i < stack_.size(); ++i) {
      const Frame& f = stack_[i];
      if (!f.map) {
        out += "[" + std::to_string(f.events - 1) + "]";
      } else if (f.events % 2 == 0) {  // in a value (a key is counted before its value)
        out += (out.empty() ? "" : ".") + f.key;
      }
    }
    return out;
  }
  std::string path() const { return path(stack_.size()); }

  // Counts one value (a scalar, null, alias, list or map) where the parser is.
  void value(const YAML::Mark& mark, YAML::anchor_t anchor, const std::string* text) {
    const Position at = position_of(mark);
    if (!stack_.empty()) {
      Frame& f = stack_.back();
      const bool is_key = f.map && f.events % 2 == 0;
      if ((is_key || !f.map) && (f.map ? f.events / 2 : f.events) >= limits_.max_entries) {
        fatal(at, path(stack_.size() - 1),
              "more than " + std::to_string(limits_.max_entries) +
                  (f.map ? " keys in one map" : " entries in one list"));
      }
      ++f.events;
      if (is_key) f.key = text != nullptr ? *text : std::string("?");
    }
    if (++nodes_ > limits_.max_nodes) {
      fatal(at, path(),
            "more than " + std::to_string(limits_.max_nodes) + " values in the document");
    }
    if (anchor != YAML::NullAnchor) {
      diag_.add(at, path(), "anchors (&name) are not supported: write the value out");
    }
  }

  void open(const YAML::Mark& mark, YAML::anchor_t anchor, bool map) {
    value(mark, anchor, nullptr);
    if (stack_.size() >= limits_.max_depth) {
      fatal(position_of(mark), path(),
            "nested deeper than " + std::to_string(limits_.max_depth) +
                " lists and maps; a port_exporter config has at most 4 levels");
    }
    stack_.push_back(Frame{map, 0, {}});
  }

  const Limits& limits_;
  Diagnostics& diag_;
  std::vector<Frame> stack_;
  std::size_t nodes_ = 0;
  int documents_ = 0;
  Position first_document_;
};

}  // namespace

bool check_bounded(std::string_view text, const Limits& limits, Diagnostics& diag) {
  if (!check_structure(text, limits.max_structure, diag)) return false;
  const bool clean_before = diag.empty();
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  GuardHandler handler(limits, diag);
  try {
    // At most twice, never in a loop: the second call only looks for a second document.
    if (parser.HandleNextDocument(handler)) parser.HandleNextDocument(handler);
  } catch (const GuardHandler::Stop&) {
    return false;
  } catch (const YAML::Exception& e) {
    diag.add(position_of(e.mark), "invalid YAML", e.msg);
    return false;
  }
  return clean_before && diag.empty();
}

}  // namespace port_exporter::yaml
