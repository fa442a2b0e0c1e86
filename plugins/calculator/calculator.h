#pragma once

#include <switchboard/result.h>

#include <QString>
#include <QStringList>
#include <QStringView>

namespace Switchboard {

/// Limits that keep hostile expressions cheap: the length bounds the work, the
/// depth bounds the recursion of the parser (so "((((…" cannot blow the stack).
struct CalculatorLimits
{
    int maxLength = 1000;   ///< characters (UTF-16 code units)
    int maxDepth = 64;      ///< nested parentheses, function calls, unary signs and powers

    friend bool operator==(const CalculatorLimits &, const CalculatorLimits &) = default;
};

/// Evaluates arithmetic expressions over doubles; nothing else.
///
/// A hand-written recursive-descent parser. Debian 12 does package expression
/// evaluators (libmuparser-dev 2.3.3, libmatheval-dev), but none fits better:
/// muparser is a small language (variables, assignment, ?:, logic operators)
/// that we would have to fence in, it answers 1/0 with inf where the model
/// needs an error, and its messages would have to be rewritten anyway; the
/// column-precise errors, the domain and overflow checks and the limits are
/// most of this file either way. libmatheval is a symbolic library with
/// little error reporting. QJSEngine would be code execution, which is exactly
/// what this tool must not do.
///
/// Grammar (lowest precedence first):
///   expression := term (('+' | '-') term)*
///   term       := unary (('*' | '/' | '%') unary)*
///   unary      := ('-' | '+') unary | power
///   power      := primary (('^' | '**') unary)?      right-associative
///   primary    := number | constant | function '(' arguments ')' | '(' expression ')'
///
/// So `2^3^2` is `2^(3^2)` = 512 and `-2^2` is `-(2^2)` = -4, as in mathematics
/// (and Python); `2^-1` is 0.5. `%` is the remainder with the sign of the
/// dividend (C's fmod), not a percentage. Names are case-insensitive; angles are
/// in radians; `log(x)` is the natural logarithm and `log(x, b)` the base-b one.
///
/// Errors name the column (1-based, in characters): "unexpected ')' at column 7".
/// Every intermediate result must be finite: overflow, division by zero and
/// domain errors (sqrt(-1), ln(0), asin(2)) are errors, never inf or nan.
class Calculator
{
public:
    explicit Calculator(CalculatorLimits limits = {});

    CalculatorLimits limits() const { return m_limits; }

    /// The value of @p expression, or an Error (Code::ToolInvalidArguments for
    /// malformed input and limits, Code::ToolFailed for arithmetic errors).
    Result<double> evaluate(QStringView expression) const;

    /// The shortest faithful text for a result: integers without a decimal
    /// point ("42", not "42.0"), other values with up to 15 significant digits.
    static QString formatNumber(double value);

    static QStringList functionNames();
    static QStringList constantNames();

private:
    CalculatorLimits m_limits;
};

} // namespace Switchboard
