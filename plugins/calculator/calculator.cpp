#include "calculator.h"

#include <QList>

#include <charconv>
#include <cmath>
#include <limits>
#include <numbers>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

enum class TokenType { Number, Name, Operator, LeftParen, RightParen, Comma, End };

struct Token
{
    TokenType type = TokenType::End;
    QString text;       ///< as written, for messages
    double number = 0;  ///< for Number
    QChar op;           ///< for Operator; '^' also stands for "**"
    int column = 0;     ///< 1-based
};

Error syntaxError(const QString &message)
{
    return Error(Error::Code::ToolInvalidArguments, message);
}

Error mathError(const QString &message)
{
    return Error(Error::Code::ToolFailed, message);
}

QString numberText(double value)
{
    return Calculator::formatNumber(value);
}

QString describe(const Token &token)
{
    switch (token.type) {
    case TokenType::Number:
        return u"number '%1'"_s.arg(token.text);
    case TokenType::Name:
        return u"name '%1'"_s.arg(token.text);
    case TokenType::End:
        return u"end of expression"_s;
    default:
        return u"'%1'"_s.arg(token.text);
    }
}

bool isNameStart(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || c == u'_';
}

bool isNameChar(QChar c)
{
    return isNameStart(c) || (c >= u'0' && c <= u'9');
}

bool isDigit(QChar c)
{
    return c >= u'0' && c <= u'9';
}

Result<QList<Token>> tokenize(QStringView input)
{
    QList<Token> tokens;
    qsizetype i = 0;
    const qsizetype n = input.size();
    while (i < n) {
        const QChar c = input[i];
        const int column = int(i) + 1;
        if (c.isSpace()) {
            ++i;
            continue;
        }
        if (isDigit(c) || (c == u'.' && i + 1 < n && isDigit(input[i + 1]))) {
            const qsizetype start = i;
            int dots = 0;
            while (i < n && (isDigit(input[i]) || input[i] == u'.')) {
                dots += input[i] == u'.';
                ++i;
            }
            bool malformed = dots > 1;
            if (i < n && (input[i] == u'e' || input[i] == u'E')) {
                // An exponent only when digits follow, so "2e" stays "2 e" → an error below, not a silent 2.
                qsizetype j = i + 1;
                if (j < n && (input[j] == u'+' || input[j] == u'-'))
                    ++j;
                if (j < n && isDigit(input[j])) {
                    i = j;
                    while (i < n && isDigit(input[i]))
                        ++i;
                } else {
                    malformed = true;
                    i = j;
                }
            }
            // "12abc" is one malformed number, not 12 followed by a name.
            while (i < n && isNameChar(input[i])) {
                malformed = true;
                ++i;
            }
            const QString text = input.mid(start, i - start).toString();
            if (malformed)
                return syntaxError(u"malformed number '%1' at column %2"_s.arg(text).arg(column));
            const QByteArray latin = text.toLatin1();
            double value = 0;
            const auto [end, ec] = std::from_chars(latin.constData(), latin.constData() + latin.size(), value);
            if (ec == std::errc::result_out_of_range || !std::isfinite(value))
                return mathError(u"number '%1' at column %2 is out of range"_s.arg(text).arg(column));
            if (ec != std::errc() || end != latin.constData() + latin.size())
                return syntaxError(u"malformed number '%1' at column %2"_s.arg(text).arg(column));
            tokens.append({TokenType::Number, text, value, {}, column});
            continue;
        }
        if (isNameStart(c)) {
            const qsizetype start = i;
            while (i < n && isNameChar(input[i]))
                ++i;
            tokens.append({TokenType::Name, input.mid(start, i - start).toString(), 0, {}, column});
            continue;
        }
        if (c == u'*' && i + 1 < n && input[i + 1] == u'*') {
            tokens.append({TokenType::Operator, u"**"_s, 0, u'^', column});
            i += 2;
            continue;
        }
        switch (c.unicode()) {
        case u'+': case u'-': case u'*': case u'/': case u'%': case u'^':
            tokens.append({TokenType::Operator, QString(c), 0, c, column});
            break;
        case u'(':
            tokens.append({TokenType::LeftParen, QString(c), 0, {}, column});
            break;
        case u')':
            tokens.append({TokenType::RightParen, QString(c), 0, {}, column});
            break;
        case u',':
            tokens.append({TokenType::Comma, QString(c), 0, {}, column});
            break;
        default: {
            // Show the whole code point, also outside the BMP.
            const qsizetype width = (c.isHighSurrogate() && i + 1 < n && input[i + 1].isLowSurrogate()) ? 2 : 1;
            return syntaxError(u"unexpected character '%1' at column %2"_s
                                   .arg(input.mid(i, width).toString()).arg(column));
        }
        }
        ++i;
    }
    tokens.append({TokenType::End, {}, 0, {}, int(n) + 1});
    return tokens;
}

struct Function
{
    QLatin1StringView name;
    int minArgs;
    int maxArgs;   ///< -1: any number ≥ minArgs
    Result<double> (*apply)(const QList<double> &args, const QString &where);
};

Result<double> requireNonNegative(const char *name, double x, const QString &where, double result)
{
    if (x < 0)
        return mathError(u"%1 is not defined for negative numbers (got %2) %3"_s
                             .arg(QLatin1StringView(name), numberText(x), where));
    return result;
}

Result<double> requirePositive(const char *name, double x, const QString &where)
{
    if (x <= 0)
        return mathError(u"%1 is only defined for positive numbers (got %2) %3"_s
                             .arg(QLatin1StringView(name), numberText(x), where));
    return x;
}

Result<double> requireUnitRange(const char *name, double x, const QString &where, double result)
{
    if (x < -1 || x > 1)
        return mathError(u"%1 is only defined from -1 to 1 (got %2) %3"_s
                             .arg(QLatin1StringView(name), numberText(x), where));
    return result;
}

Result<double> logarithm(const char *name, double x, double base, const QString &where)
{
    if (auto ok = requirePositive(name, x, where); !ok)
        return ok;
    return std::log(x) / std::log(base);
}

const Function functions[] = {
    {"sqrt"_L1, 1, 1, [](const QList<double> &a, const QString &w) { return requireNonNegative("sqrt", a[0], w, std::sqrt(a[0])); }},
    {"cbrt"_L1, 1, 1, [](const QList<double> &a, const QString &) -> Result<double> { return std::cbrt(a[0]); }},
    {"abs"_L1, 1, 1, [](const QList<double> &a, const QString &) -> Result<double> { return std::fabs(a[0]); }},
    {"sign"_L1, 1, 1, [](const QList<double> &a, const QString &) -> Result<double> { return double((a[0] > 0) - (a[0] < 0)); }},
    {"sin"_L1, 1, 1, [](const QList<double> &a, const QString &) -> Result<double> { return std::sin(a[0]); }},
    {"cos"_L1, 1, 1, [](const QList<double> &a, const QString &) -> Result<double> { return std::cos(a[0]); }},
    {"tan"_L1, 1, 1, [](const QList<double> &a, const QString &) -> Result<double> { return std::tan(a[0]); }},
    {"asin"_L1, 1, 1, [](const QList<double> &a, const QString &w) { return requireUnitRange("asin", a[0], w, std::asin(a[0])); }},
    {"acos"_L1, 1, 1, [](const QList<double> &a, const QString &w) { return requireUnitRange("acos", a[0], w, std::acos(a[0])); }},
    {"atan"_L1, 1, 1, [](const QList<double> &a, const QString &) -> Result<double> { return std::atan(a[0]); }},
    {"atan2"_L1, 2, 2, [](const QList<double> &a, const QString &) -> Result<double> { return std::atan2(a[0], a[1]); }},
    {"sinh"_L1, 1, 1, [](const QList<double> &a, const QString &) -> Result<double> { return std::sinh(a[0]); }},
    {"cosh"_L1, 1, 1, [](const QList<double> &a, const QString &) -> Result<double> { return std::cosh(a[0]); }},
    {"tanh"_L1, 1, 1, [](const QList<double> &a, const QString &) -> Result<double> { return std::tanh(a[0]); }},
    {"exp"_L1, 1, 1, [](const QList<double> &a, const QString &) -> Result<double> { return std::exp(a[0]); }},
    {"ln"_L1, 1, 1, [](const QList<double> &a, const QString &w) { return logarithm("ln", a[0], std::numbers::e, w); }},
    {"log"_L1, 1, 2, [](const QList<double> &a, const QString &w) -> Result<double> {
         if (a.size() == 1)
             return logarithm("log", a[0], std::numbers::e, w);
         if (a[1] <= 0 || a[1] == 1)
             return mathError(u"log needs a positive base other than 1 (got %1) %2"_s.arg(numberText(a[1]), w));
         return logarithm("log", a[0], a[1], w);
     }},
    {"log10"_L1, 1, 1, [](const QList<double> &a, const QString &w) -> Result<double> {
         if (auto ok = requirePositive("log10", a[0], w); !ok)
             return ok;
         return std::log10(a[0]);
     }},
    {"log2"_L1, 1, 1, [](const QList<double> &a, const QString &w) -> Result<double> {
         if (auto ok = requirePositive("log2", a[0], w); !ok)
             return ok;
         return std::log2(a[0]);
     }},
    {"floor"_L1, 1, 1, [](const QList<double> &a, const QString &) -> Result<double> { return std::floor(a[0]); }},
    {"ceil"_L1, 1, 1, [](const QList<double> &a, const QString &) -> Result<double> { return std::ceil(a[0]); }},
    // Half away from zero: round(2.5) = 3, round(-2.5) = -3.
    {"round"_L1, 1, 1, [](const QList<double> &a, const QString &) -> Result<double> { return std::round(a[0]); }},
    {"trunc"_L1, 1, 1, [](const QList<double> &a, const QString &) -> Result<double> { return std::trunc(a[0]); }},
    {"min"_L1, 1, -1, [](const QList<double> &a, const QString &) -> Result<double> { return *std::min_element(a.cbegin(), a.cend()); }},
    {"max"_L1, 1, -1, [](const QList<double> &a, const QString &) -> Result<double> { return *std::max_element(a.cbegin(), a.cend()); }},
    {"hypot"_L1, 2, 2, [](const QList<double> &a, const QString &) -> Result<double> { return std::hypot(a[0], a[1]); }},
};

struct Constant
{
    QLatin1StringView name;
    double value;
};

const Constant constants[] = {
    {"pi"_L1, std::numbers::pi},
    {"tau"_L1, 2 * std::numbers::pi},
    {"e"_L1, std::numbers::e},
};

const Function *findFunction(const QString &name)
{
    for (const Function &f : functions) {
        if (name.compare(f.name, Qt::CaseInsensitive) == 0)
            return &f;
    }
    return nullptr;
}

const Constant *findConstant(const QString &name)
{
    for (const Constant &c : constants) {
        if (name.compare(c.name, Qt::CaseInsensitive) == 0)
            return &c;
    }
    return nullptr;
}

Result<double> power(double base, double exponent, int column)
{
    if (base == 0 && exponent < 0)
        return mathError(u"division by zero: 0 raised to a negative power at column %1"_s.arg(column));
    if (base < 0 && std::trunc(exponent) != exponent)
        return mathError(u"a negative number raised to a non-integer power is not a real number at column %1"_s
                             .arg(column));
    return std::pow(base, exponent);
}

class Parser
{
public:
    Parser(const QList<Token> &tokens, int maxDepth) : m_tokens(tokens), m_maxDepth(maxDepth) {}

    Result<double> parse()
    {
        auto value = expression();
        if (!value)
            return value;
        if (peek().type != TokenType::End)
            return unexpected(peek());
        return value;
    }

private:
    const Token &peek() const { return m_tokens[m_pos]; }
    const Token &next() { return m_tokens[m_pos++]; }

    bool peekOperator(QChar op) const
    {
        return peek().type == TokenType::Operator && peek().op == op;
    }

    static Error unexpected(const Token &token)
    {
        if (token.type == TokenType::End)
            return syntaxError(u"unexpected end of expression at column %1"_s.arg(token.column));
        return syntaxError(u"unexpected %1 at column %2"_s.arg(describe(token)).arg(token.column));
    }

    // Every recursive rule goes through here, so the C++ stack stays bounded.
    Result<void> enter(const Token &at)
    {
        if (++m_depth > m_maxDepth)
            return syntaxError(u"expression nested too deeply at column %1 (the limit is %2 levels)"_s
                                   .arg(at.column).arg(m_maxDepth));
        return {};
    }

    static Result<double> checked(double value, const Token &op, const QString &what)
    {
        if (std::isnan(value))
            return mathError(u"the result of %1 at column %2 is undefined"_s.arg(what).arg(op.column));
        if (!std::isfinite(value))
            return mathError(u"overflow: the result of %1 at column %2 is too large"_s.arg(what).arg(op.column));
        return value;
    }

    Result<double> expression()
    {
        auto lhs = term();
        if (!lhs)
            return lhs;
        double value = *lhs;
        while (peekOperator(u'+') || peekOperator(u'-')) {
            const Token op = next();
            auto rhs = term();
            if (!rhs)
                return rhs;
            auto result = checked(op.op == u'+' ? value + *rhs : value - *rhs, op, u"'%1'"_s.arg(op.text));
            if (!result)
                return result;
            value = *result;
        }
        return value;
    }

    Result<double> term()
    {
        auto lhs = unary();
        if (!lhs)
            return lhs;
        double value = *lhs;
        while (peekOperator(u'*') || peekOperator(u'/') || peekOperator(u'%')) {
            const Token op = next();
            auto rhs = unary();
            if (!rhs)
                return rhs;
            double result = 0;
            if (op.op == u'*') {
                result = value * *rhs;
            } else if (*rhs == 0) {
                return mathError(u"%1 by zero at column %2"_s
                                     .arg(op.op == u'/' ? u"division"_s : u"modulo"_s).arg(op.column));
            } else {
                result = op.op == u'/' ? value / *rhs : std::fmod(value, *rhs);
            }
            auto ok = checked(result, op, u"'%1'"_s.arg(op.text));
            if (!ok)
                return ok;
            value = *ok;
        }
        return value;
    }

    Result<double> unary()
    {
        if (peekOperator(u'-') || peekOperator(u'+')) {
            const Token op = next();
            if (auto ok = enter(op); !ok)
                return ok.error();
            auto operand = unary();
            --m_depth;
            if (!operand)
                return operand;
            return op.op == u'-' ? -*operand : *operand;
        }
        return powerRule();
    }

    Result<double> powerRule()
    {
        auto base = primary();
        if (!base)
            return base;
        if (!peekOperator(u'^'))
            return base;
        const Token op = next();
        if (auto ok = enter(op); !ok)
            return ok.error();
        auto exponent = unary();   // right-associative, and 2^-1 works
        --m_depth;
        if (!exponent)
            return exponent;
        auto result = power(*base, *exponent, op.column);
        if (!result)
            return result;
        return checked(*result, op, u"'%1'"_s.arg(op.text));
    }

    Result<double> primary()
    {
        const Token &token = next();
        switch (token.type) {
        case TokenType::Number:
            return token.number;
        case TokenType::LeftParen: {
            if (auto ok = enter(token); !ok)
                return ok.error();
            auto value = expression();
            --m_depth;
            if (!value)
                return value;
            if (peek().type != TokenType::RightParen) {
                if (peek().type == TokenType::End)
                    return syntaxError(u"missing ')' for the '(' at column %1"_s.arg(token.column));
                return unexpected(peek());
            }
            next();
            return value;
        }
        case TokenType::Name:
            return name(token);
        default:
            return unexpected(token);
        }
    }

    Result<double> name(const Token &token)
    {
        const bool call = peek().type == TokenType::LeftParen;
        if (const Constant *constant = findConstant(token.text)) {
            if (call)
                return syntaxError(u"'%1' at column %2 is a constant, not a function"_s.arg(token.text).arg(token.column));
            return constant->value;
        }
        const Function *function = findFunction(token.text);
        if (!function)
            return syntaxError(u"unknown name '%1' at column %2"_s.arg(token.text).arg(token.column));
        if (!call)
            return syntaxError(u"function '%1' at column %2 needs its arguments in parentheses"_s
                                   .arg(token.text).arg(token.column));
        const Token &open = next();
        if (auto ok = enter(open); !ok)
            return ok.error();
        QList<double> args;
        if (peek().type != TokenType::RightParen) {
            while (true) {
                auto arg = expression();
                if (!arg)
                    return arg;
                args.append(*arg);
                if (peek().type == TokenType::Comma) {
                    next();
                    continue;
                }
                break;
            }
        }
        --m_depth;
        if (peek().type != TokenType::RightParen) {
            if (peek().type == TokenType::End)
                return syntaxError(u"missing ')' for the '(' at column %1"_s.arg(open.column));
            return unexpected(peek());
        }
        next();
        const int count = int(args.size());
        if (count < function->minArgs || (function->maxArgs >= 0 && count > function->maxArgs)) {
            QString expected;
            if (function->maxArgs < 0)
                expected = u"at least %1 argument%2"_s.arg(function->minArgs).arg(function->minArgs == 1 ? ""_L1 : "s"_L1);
            else if (function->minArgs == function->maxArgs)
                expected = u"%1 argument%2"_s.arg(function->minArgs).arg(function->minArgs == 1 ? ""_L1 : "s"_L1);
            else
                expected = u"%1 to %2 arguments"_s.arg(function->minArgs).arg(function->maxArgs);
            return syntaxError(u"function '%1' at column %2 takes %3, got %4"_s
                                   .arg(token.text).arg(token.column).arg(expected).arg(count));
        }
        const QString where = u"at column %1"_s.arg(token.column);
        auto result = function->apply(args, where);
        if (!result)
            return result;
        return checked(*result, token, u"%1()"_s.arg(token.text));
    }

    const QList<Token> &m_tokens;
    const int m_maxDepth;
    qsizetype m_pos = 0;
    int m_depth = 0;
};

} // namespace

Calculator::Calculator(CalculatorLimits limits)
    : m_limits(limits)
{
}

Result<double> Calculator::evaluate(QStringView expression) const
{
    if (expression.size() > m_limits.maxLength)
        return syntaxError(u"expression too long: %1 characters, the limit is %2"_s
                               .arg(expression.size()).arg(m_limits.maxLength));
    if (expression.trimmed().isEmpty())
        return syntaxError(u"empty expression"_s);
    const auto tokens = tokenize(expression);
    if (!tokens)
        return tokens.error();
    Parser parser(*tokens, m_limits.maxDepth);
    auto value = parser.parse();
    if (value && *value == 0)
        return 0.0;   // no "-0" in answers
    return value;
}

QString Calculator::formatNumber(double value)
{
    if (value == 0)
        return u"0"_s;
    // Integers that a double holds exactly print without exponent or decimals.
    if (std::trunc(value) == value && std::fabs(value) < 1e15)
        return QString::number(qint64(value));
    return QString::number(value, 'g', 15);
}

QStringList Calculator::functionNames()
{
    QStringList names;
    for (const Function &f : functions)
        names.append(f.name);
    return names;
}

QStringList Calculator::constantNames()
{
    QStringList names;
    for (const Constant &c : constants)
        names.append(c.name);
    return names;
}

} // namespace Switchboard
