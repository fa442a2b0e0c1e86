#pragma once

#include <switchboard/error.h>

#include <type_traits>
#include <utility>
#include <variant>

namespace Switchboard {

/// The outcome of a synchronous operation: a value or an Error.
///
/// A small stand-in for C++23's std::expected<T, Error>, which it will become
/// when the project moves to C++23. Construct from a value or from an Error;
/// test with `if (result)`; read with value() / error().
template<typename T>
class [[nodiscard]] Result
{
public:
    Result(const T &value) : m_state(value) {}
    Result(T &&value) : m_state(std::move(value)) {}
    Result(const Error &error) : m_state(error) {}
    Result(Error &&error) : m_state(std::move(error)) {}

    bool hasValue() const { return m_state.index() == 0; }
    explicit operator bool() const { return hasValue(); }

    T &value() & { return std::get<0>(m_state); }
    const T &value() const & { return std::get<0>(m_state); }
    T &&value() && { return std::get<0>(std::move(m_state)); }

    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }

    /// The error; an Error with Code::NoError when there is a value.
    Error error() const { return hasValue() ? Error() : std::get<1>(m_state); }

    template<typename U>
    T valueOr(U &&fallback) const { return hasValue() ? value() : T(std::forward<U>(fallback)); }

private:
    std::variant<T, Error> m_state;
};

template<>
class [[nodiscard]] Result<void>
{
public:
    Result() = default;
    Result(const Error &error) : m_error(error) {}
    Result(Error &&error) : m_error(std::move(error)) {}

    bool hasValue() const { return !m_error.isError(); }
    explicit operator bool() const { return hasValue(); }
    Error error() const { return m_error; }

private:
    Error m_error;
};

} // namespace Switchboard
