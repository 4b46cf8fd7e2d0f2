// SPDX-License-Identifier: Apache-2.0
// A NetlinkChannel that plays back a conversation: recorded by RecordingChannel (frames,
// see tests/fixtures/README.md) or scripted by a test (a failure the kernel rarely gives:
// ENOBUFS, NLM_F_DUMP_INTR, a refused request). Every request sent is kept, and compared
// with the recorded one when the script has it.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <deque>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernel/netlink_channel.h"

namespace port_exporter::test {

using Bytes = std::vector<std::uint8_t>;

class ReplayChannel final : public NetlinkChannel {
 public:
  struct Step {
    char kind;    // kFrameRequest, kFrameReply or kFrameError
    Bytes bytes;  // the request expected (empty: any), or the datagram to return
    int error = 0;
  };

  // The frames of a file written by RecordingChannel.
  static ReplayChannel from_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    const Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (data.empty()) throw std::runtime_error("empty or missing recording " + path);
    ReplayChannel channel;
    for (std::size_t at = 0; at < data.size();) {
      if (data.size() - at < 5) throw std::runtime_error("truncated frame in " + path);
      const char kind = static_cast<char>(data[at]);
      const std::uint32_t size = data[at + 1] | data[at + 2] << 8 | data[at + 3] << 16 |
                                 static_cast<std::uint32_t>(data[at + 4]) << 24;
      at += 5;
      if (data.size() - at < size) throw std::runtime_error("truncated frame in " + path);
      Bytes payload(data.begin() + static_cast<long>(at),
                    data.begin() + static_cast<long>(at + size));
      at += size;
      if (kind == kFrameError) {
        std::int32_t error = 0;
        std::memcpy(&error, payload.data(), sizeof error);
        channel.fail(error);
      } else if (kind == kFrameRequest) {
        channel.expect(std::move(payload));
      } else {
        channel.reply(std::move(payload));
      }
    }
    return channel;
  }

  ReplayChannel& expect(Bytes request = {}) { return push({kFrameRequest, std::move(request)}); }
  // With `patch_seq`, each message's sequence number becomes the last request's, as the
  // kernel echoes it: a datagram recorded for another request can answer this one.
  ReplayChannel& reply(Bytes datagram, bool patch_seq = false) {
    if (patch_seq) patch_.push_back(pushed_);
    return push({kFrameReply, std::move(datagram)});
  }
  ReplayChannel& fail(int error) { return push({kFrameError, {}, error}); }

  int send(const std::vector<std::uint8_t>& request) override {
    sent_.push_back(request);
    std::optional<Step> step = next(kFrameRequest);
    if (!step) return EPROTO;
    if (!step->bytes.empty() && step->bytes != request) {
      mismatches_.push_back("request " + std::to_string(sent_.size()) +
                            " differs from the recording");
    }
    std::memcpy(&last_seq_, request.data() + offsetof(nlmsghdr, nlmsg_seq), sizeof last_seq_);
    return 0;
  }

  ssize_t receive(std::vector<std::uint8_t>& buffer) override {
    const bool patch = !patch_.empty() && patch_.front() == consumed_;
    std::optional<Step> step = next(kFrameReply);
    if (!step) return -EPROTO;
    if (step->kind == kFrameError) return -step->error;
    if (patch) {
      patch_.pop_front();
      for (std::size_t at = 0; at + sizeof(nlmsghdr) <= step->bytes.size();) {
        nlmsghdr header;
        std::memcpy(&header, step->bytes.data() + at, sizeof header);
        std::memcpy(step->bytes.data() + at + offsetof(nlmsghdr, nlmsg_seq), &last_seq_,
                    sizeof last_seq_);
        if (header.nlmsg_len < sizeof header) break;
        at += NLMSG_ALIGN(header.nlmsg_len);
      }
    }
    if (step->bytes.size() > buffer.size()) return -EMSGSIZE;
    std::memcpy(buffer.data(), step->bytes.data(), step->bytes.size());
    return static_cast<ssize_t>(step->bytes.size());
  }

  void reset() override { ++resets_; }

  const std::vector<Bytes>& sent() const { return sent_; }
  const std::vector<std::string>& mismatches() const { return mismatches_; }
  bool finished() const { return script_.empty(); }
  int resets() const { return resets_; }

 private:
  ReplayChannel& push(Step step) {
    script_.push_back(std::move(step));
    ++pushed_;
    return *this;
  }
  // The next step if it is of the wanted kind (an error stands for a reply).
  std::optional<Step> next(char wanted) {
    if (script_.empty()) {
      mismatches_.push_back("conversation went past the end of the script");
      return std::nullopt;
    }
    Step step = std::move(script_.front());
    const bool is_reply = step.kind == kFrameReply || step.kind == kFrameError;
    if ((wanted == kFrameRequest) == is_reply) {
      mismatches_.push_back(std::string("expected a ") +
                            (wanted == kFrameRequest ? "reply" : "request") + " next");
      return std::nullopt;
    }
    script_.pop_front();
    ++consumed_;
    return step;
  }

  std::deque<Step> script_;
  std::deque<std::size_t> patch_;  // positions in the whole script of replies to patch
  std::size_t pushed_ = 0;
  std::size_t consumed_ = 0;
  std::vector<Bytes> sent_;
  std::vector<std::string> mismatches_;
  std::uint32_t last_seq_ = 0;
  int resets_ = 0;
};

}  // namespace port_exporter::test
