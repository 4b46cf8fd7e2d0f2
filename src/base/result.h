// SPDX-License-Identifier: Apache-2.0
// Result<T, E>: a value or an error, for functions that fail at a boundary (kernel, files,
// config). The default error is a message; a stage whose callers branch on the kind of
// failure carries a typed error instead. Inside the pure core nothing fails.
#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace port_exporter {

struct Error {
  std::string message;
};

template <typename T, typename E = Error>
class Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }
  // The message for Error, the typed error otherwise.
  const auto& error() const {
    if constexpr (std::is_same_v<E, Error>) {
      return std::get<1>(v_).message;
    } else {
      return std::get<1>(v_);
    }
  }

 private:
  std::variant<T, E> v_;
};

}  // namespace port_exporter
