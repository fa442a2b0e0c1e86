#include "calculator.h"

#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTest>

#include <cmath>
#include <numbers>

using namespace Qt::StringLiterals;
using namespace Switchboard;

class tst_Calculator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void evaluate_data();
    void evaluate();
    void errors_data();
    void errors();
    void hostileNesting_data();
    void hostileNesting();
    void limits();
    void randomInput();
    void formatNumber_data();
    void formatNumber();
};

void tst_Calculator::evaluate_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<double>("expected");

    QTest::newRow("integer") << u"42"_s << 42.0;
    QTest::newRow("decimal") << u"3.25"_s << 3.25;
    QTest::newRow("leading dot") << u".5"_s << 0.5;
    QTest::newRow("trailing dot") << u"5."_s << 5.0;
    QTest::newRow("exponent") << u"1.5e3"_s << 1500.0;
    QTest::newRow("negative exponent") << u"25E-2"_s << 0.25;
    QTest::newRow("precedence") << u"2+3*4"_s << 14.0;
    QTest::newRow("left assoc minus") << u"10-4-3"_s << 3.0;
    QTest::newRow("left assoc divide") << u"100/10/5"_s << 2.0;
    QTest::newRow("parentheses") << u"(2+3)*4"_s << 20.0;
    QTest::newRow("whitespace") << u" \t2 *\n( 3 + 4 ) "_s << 14.0;
    QTest::newRow("modulo") << u"17 % 5"_s << 2.0;
    QTest::newRow("modulo sign of dividend") << u"-7 % 3"_s << -1.0;
    QTest::newRow("modulo fraction") << u"5.5 % 2"_s << 1.5;
    QTest::newRow("power") << u"2^10"_s << 1024.0;
    QTest::newRow("power right assoc") << u"2^3^2"_s << 512.0;
    QTest::newRow("double star") << u"2**3**2"_s << 512.0;
    QTest::newRow("unary minus below power") << u"-2^2"_s << -4.0;
    QTest::newRow("parenthesised negative base") << u"(-2)^2"_s << 4.0;
    QTest::newRow("negative exponent power") << u"2^-1"_s << 0.5;
    QTest::newRow("negative base integer exponent") << u"(-2)^3"_s << -8.0;
    QTest::newRow("power before multiply") << u"3*2^2"_s << 12.0;
    QTest::newRow("double unary") << u"--3"_s << 3.0;
    QTest::newRow("unary plus") << u"+3 - -2"_s << 5.0;
    QTest::newRow("unary in term") << u"2*-3"_s << -6.0;
    QTest::newRow("pi") << u"pi"_s << std::numbers::pi;
    QTest::newRow("case-insensitive") << u"PI"_s << std::numbers::pi;
    QTest::newRow("tau") << u"tau / 2"_s << std::numbers::pi;
    QTest::newRow("e") << u"e"_s << std::numbers::e;
    QTest::newRow("sqrt") << u"sqrt(16)"_s << 4.0;
    QTest::newRow("sqrt zero") << u"sqrt(0)"_s << 0.0;
    QTest::newRow("cbrt") << u"cbrt(-27)"_s << -3.0;
    QTest::newRow("abs") << u"abs(-3.5)"_s << 3.5;
    QTest::newRow("sign") << u"sign(-0.1)"_s << -1.0;
    QTest::newRow("sin") << u"sin(pi/2)"_s << 1.0;
    QTest::newRow("cos") << u"cos(0)"_s << 1.0;
    QTest::newRow("tan") << u"tan(0)"_s << 0.0;
    QTest::newRow("asin") << u"asin(1)"_s << std::numbers::pi / 2;
    QTest::newRow("acos") << u"acos(1)"_s << 0.0;
    QTest::newRow("atan") << u"atan(1)*4"_s << std::numbers::pi;
    QTest::newRow("atan2") << u"atan2(1, 1)"_s << std::numbers::pi / 4;
    QTest::newRow("ln") << u"ln(e)"_s << 1.0;
    QTest::newRow("log natural") << u"log(e^2)"_s << 2.0;
    QTest::newRow("log base") << u"log(8, 2)"_s << 3.0;
    QTest::newRow("log10") << u"log10(1000)"_s << 3.0;
    QTest::newRow("log2") << u"log2(1024)"_s << 10.0;
    QTest::newRow("exp") << u"exp(0)"_s << 1.0;
    QTest::newRow("floor") << u"floor(-2.5)"_s << -3.0;
    QTest::newRow("ceil") << u"ceil(-2.5)"_s << -2.0;
    QTest::newRow("round half away") << u"round(2.5)"_s << 3.0;
    QTest::newRow("round negative half") << u"round(-2.5)"_s << -3.0;
    QTest::newRow("trunc") << u"trunc(-2.7)"_s << -2.0;
    QTest::newRow("min") << u"min(3, 1, 2)"_s << 1.0;
    QTest::newRow("max one") << u"max(7)"_s << 7.0;
    QTest::newRow("max expressions") << u"max(1+1, 2*2, -10)"_s << 4.0;
    QTest::newRow("hypot") << u"hypot(3, 4)"_s << 5.0;
    QTest::newRow("nested functions") << u"sqrt(abs(-16)) + max(1, min(5, 3))"_s << 7.0;
    QTest::newRow("negative zero becomes zero") << u"-0"_s << 0.0;
    QTest::newRow("big but finite") << u"10^308"_s << 1e308;
}

void tst_Calculator::evaluate()
{
    QFETCH(QString, expression);
    QFETCH(double, expected);

    const auto result = Calculator().evaluate(expression);
    QVERIFY2(result, qPrintable(result.error().message));
    QCOMPARE(*result, expected);
    QVERIFY(!std::signbit(*result) || expected < 0);
}

void tst_Calculator::errors_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<Error::Code>("code");
    QTest::addColumn<QString>("message");

    const auto syntax = Error::Code::ToolInvalidArguments;
    const auto math = Error::Code::ToolFailed;

    QTest::newRow("empty") << u""_s << syntax << u"empty expression"_s;
    QTest::newRow("blank") << u"   "_s << syntax << u"empty expression"_s;
    QTest::newRow("stray close paren") << u"(1+2))*3"_s << syntax << u"unexpected ')' at column 6"_s;
    QTest::newRow("close paren column 7") << u"1 + 2 )"_s << syntax << u"unexpected ')' at column 7"_s;
    QTest::newRow("empty parens") << u"()"_s << syntax << u"unexpected ')' at column 2"_s;
    QTest::newRow("missing close") << u"2*(3+4"_s << syntax << u"missing ')' for the '(' at column 3"_s;
    QTest::newRow("dangling operator") << u"2+"_s << syntax << u"unexpected end of expression at column 3"_s;
    QTest::newRow("double operator") << u"2*/3"_s << syntax << u"unexpected '/' at column 3"_s;
    QTest::newRow("leading star") << u"*2"_s << syntax << u"unexpected '*' at column 1"_s;
    QTest::newRow("implicit multiplication") << u"2(3)"_s << syntax << u"unexpected '(' at column 2"_s;
    QTest::newRow("two numbers") << u"1 2"_s << syntax << u"unexpected number '2' at column 3"_s;
    QTest::newRow("percent sign") << u"50%"_s << syntax << u"unexpected end of expression at column 4"_s;
    QTest::newRow("unknown character") << u"2 × 3"_s << syntax << u"unexpected character '×' at column 3"_s;
    QTest::newRow("non-BMP character") << u"1+😀"_s << syntax << u"unexpected character '😀' at column 3"_s;
    QTest::newRow("semicolon") << u"1;2"_s << syntax << u"unexpected character ';' at column 2"_s;
    QTest::newRow("assignment") << u"x=1"_s << syntax << u"unexpected character '=' at column 2"_s;
    QTest::newRow("two dots") << u"1.2.3"_s << syntax << u"malformed number '1.2.3' at column 1"_s;
    QTest::newRow("exponent without digits") << u"2e+"_s << syntax << u"malformed number '2e+' at column 1"_s;
    QTest::newRow("number glued to name") << u"3x"_s << syntax << u"malformed number '3x' at column 1"_s;
    QTest::newRow("hex") << u"0x10"_s << syntax << u"malformed number '0x10' at column 1"_s;
    QTest::newRow("unknown name") << u"foo + 1"_s << syntax << u"unknown name 'foo' at column 1"_s;
    QTest::newRow("code") << u"system(1)"_s << syntax << u"unknown name 'system' at column 1"_s;
    QTest::newRow("constant called") << u"pi(2)"_s << syntax << u"'pi' at column 1 is a constant, not a function"_s;
    QTest::newRow("function without parens") << u"1 + sqrt 4"_s << syntax
                                              << u"function 'sqrt' at column 5 needs its arguments in parentheses"_s;
    QTest::newRow("too many arguments") << u"sqrt(1, 2)"_s << syntax
                                        << u"function 'sqrt' at column 1 takes 1 argument, got 2"_s;
    QTest::newRow("too few arguments") << u"atan2(1)"_s << syntax
                                       << u"function 'atan2' at column 1 takes 2 arguments, got 1"_s;
    QTest::newRow("no arguments") << u"max()"_s << syntax
                                  << u"function 'max' at column 1 takes at least 1 argument, got 0"_s;
    QTest::newRow("log arity") << u"log(1,2,3)"_s << syntax
                               << u"function 'log' at column 1 takes 1 to 2 arguments, got 3"_s;
    QTest::newRow("trailing comma") << u"max(1,)"_s << syntax << u"unexpected ')' at column 7"_s;
    QTest::newRow("comma outside call") << u"1,2"_s << syntax << u"unexpected ',' at column 2"_s;
    QTest::newRow("unclosed call") << u"max(1, 2"_s << syntax << u"missing ')' for the '(' at column 4"_s;

    QTest::newRow("division by zero") << u"1/0"_s << math << u"division by zero at column 2"_s;
    QTest::newRow("division by computed zero") << u"5 / (2-2)"_s << math << u"division by zero at column 3"_s;
    QTest::newRow("modulo by zero") << u"5 % 0"_s << math << u"modulo by zero at column 3"_s;
    QTest::newRow("zero to negative power") << u"0^-1"_s << math
                                            << u"division by zero: 0 raised to a negative power at column 2"_s;
    QTest::newRow("negative to fraction") << u"(-8)^(1/3)"_s << math
                                          << u"a negative number raised to a non-integer power is not a real number at column 5"_s;
    QTest::newRow("sqrt negative") << u"sqrt(-1)"_s << math
                                   << u"sqrt is not defined for negative numbers (got -1) at column 1"_s;
    QTest::newRow("ln zero") << u"2 + ln(0)"_s << math << u"ln is only defined for positive numbers (got 0) at column 5"_s;
    QTest::newRow("log negative") << u"log(-2)"_s << math << u"log is only defined for positive numbers (got -2) at column 1"_s;
    QTest::newRow("log base one") << u"log(2, 1)"_s << math << u"log needs a positive base other than 1 (got 1) at column 1"_s;
    QTest::newRow("log10 zero") << u"log10(0)"_s << math << u"log10 is only defined for positive numbers (got 0) at column 1"_s;
    QTest::newRow("asin domain") << u"asin(2)"_s << math << u"asin is only defined from -1 to 1 (got 2) at column 1"_s;
    QTest::newRow("acos domain") << u"acos(-1.5)"_s << math << u"acos is only defined from -1 to 1 (got -1.5) at column 1"_s;
    QTest::newRow("overflow power") << u"10^309"_s << math << u"overflow: the result of '^' at column 3 is too large"_s;
    QTest::newRow("overflow multiply") << u"1e200 * 1e200"_s << math
                                       << u"overflow: the result of '*' at column 7 is too large"_s;
    QTest::newRow("overflow add") << u"1.7e308 + 1.7e308"_s << math
                                  << u"overflow: the result of '+' at column 9 is too large"_s;
    QTest::newRow("overflow exp") << u"exp(1000)"_s << math << u"overflow: the result of exp() at column 1 is too large"_s;
    QTest::newRow("overflow cosh") << u"1 + cosh(1000)"_s << math
                                   << u"overflow: the result of cosh() at column 5 is too large"_s;
    QTest::newRow("number out of range") << u"1e999"_s << math << u"number '1e999' at column 1 is out of range"_s;
}

void tst_Calculator::errors()
{
    QFETCH(QString, expression);
    QFETCH(Error::Code, code);
    QFETCH(QString, message);

    const auto result = Calculator().evaluate(expression);
    QVERIFY2(!result, qPrintable(u"unexpectedly evaluated to %1"_s.arg(result ? *result : 0)));
    QCOMPARE(result.error().message, message);
    QCOMPARE(result.error().code, code);
}

void tst_Calculator::hostileNesting_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QString>("message");

    // Each of these would recurse once per character in a naive parser; 20000
    // levels overflow the stack of a debug build. The limit stops them at level 65.
    const int n = 20000;
    QTest::newRow("parentheses") << QString(n, u'(') + u'1' + QString(n, u')')
                                 << u"expression nested too deeply at column 65 (the limit is 64 levels)"_s;
    QTest::newRow("unary minus") << QString(n, u'-') + u'1'
                                 << u"expression nested too deeply at column 65 (the limit is 64 levels)"_s;
    QString calls;
    for (int i = 0; i < n / 4; ++i)
        calls += u"abs("_s;
    QTest::newRow("function calls") << calls + u'1' + QString(n / 4, u')')
                                    << u"expression nested too deeply at column 260 (the limit is 64 levels)"_s;
    QString powers = u"1"_s;
    for (int i = 0; i < n / 2; ++i)
        powers += u"^1"_s;
    QTest::newRow("power chain") << powers
                                 << u"expression nested too deeply at column 130 (the limit is 64 levels)"_s;
}

void tst_Calculator::hostileNesting()
{
    QFETCH(QString, expression);
    QFETCH(QString, message);

    const Calculator calculator(CalculatorLimits{int(expression.size()), 64});
    const auto result = calculator.evaluate(expression);
    QVERIFY(!result);
    QCOMPARE(result.error().message, message);
    QCOMPARE(result.error().code, Error::Code::ToolInvalidArguments);

    // Exactly at the limit still works: 64 levels of parentheses.
    QVERIFY(calculator.evaluate(QString(64, u'(') + u'1' + QString(64, u')')));
}

void tst_Calculator::limits()
{
    const Calculator calculator(CalculatorLimits{10, 64});
    QVERIFY(calculator.evaluate(u"1234567890"_s));
    const auto tooLong = calculator.evaluate(u"12345678901"_s);
    QVERIFY(!tooLong);
    QCOMPARE(tooLong.error().message, u"expression too long: 11 characters, the limit is 10"_s);

    // A long flat expression is fine: it is iterated, not recursed.
    QString sum = u"0"_s;
    for (int i = 0; i < 20000; ++i)
        sum += u"+1"_s;
    const auto flat = Calculator(CalculatorLimits{int(sum.size()), 64}).evaluate(sum);
    QVERIFY2(flat, qPrintable(flat.error().message));
    QCOMPARE(*flat, 20000.0);

    // The default limit.
    QCOMPARE(Calculator().limits(), (CalculatorLimits{1000, 64}));
    QVERIFY(!Calculator().evaluate(QString(1001, u'1')));
}

void tst_Calculator::randomInput()
{
    // Random soup from the calculator's own alphabet, with a fixed seed: every
    // input gets either a finite value or an error that names a column inside it.
    static const QStringList pieces = {
        u"0"_s, u"1"_s, u"7"_s, u"9.5"_s, u"1e308"_s, u"."_s, u"e"_s, u"+"_s, u"-"_s, u"*"_s, u"/"_s, u"%"_s,
        u"^"_s, u"**"_s, u"("_s, u")"_s, u","_s, u" "_s, u"pi"_s, u"sqrt("_s, u"max("_s, u"log("_s,
        u"asin("_s, u"exp("_s, u"x"_s, u"\u00e9"_s,
    };
    static const QRegularExpression column(u"column (\\d+)"_s);
    QRandomGenerator random(20261126);
    const Calculator calculator;
    int values = 0;
    for (int i = 0; i < 5000; ++i) {
        QString expression;
        const int length = random.bounded(1, 30);
        for (int j = 0; j < length; ++j)
            expression += pieces.at(random.bounded(int(pieces.size())));
        const auto result = calculator.evaluate(expression);
        if (result) {
            QVERIFY2(std::isfinite(*result), qPrintable(expression));
            ++values;
            continue;
        }
        const Error error = result.error();
        QVERIFY2(error.code == Error::Code::ToolInvalidArguments || error.code == Error::Code::ToolFailed,
                 qPrintable(expression));
        const auto match = column.match(error.message);
        if (match.hasMatch())
            QVERIFY2(match.captured(1).toInt() >= 1 && match.captured(1).toInt() <= expression.size() + 1,
                     qPrintable(expression + u" → "_s + error.message));
        else
            QVERIFY2(error.message == u"empty expression"_s, qPrintable(expression + u" → "_s + error.message));
    }
    QVERIFY(values > 50);   // the generator does produce valid expressions too
}

void tst_Calculator::formatNumber_data()
{
    QTest::addColumn<double>("value");
    QTest::addColumn<QString>("text");

    QTest::newRow("integer") << 42.0 << u"42"_s;
    QTest::newRow("negative integer") << -7.0 << u"-7"_s;
    QTest::newRow("zero") << 0.0 << u"0"_s;
    QTest::newRow("negative zero") << -0.0 << u"0"_s;
    QTest::newRow("fraction") << 0.1 + 0.2 << u"0.3"_s;
    QTest::newRow("pi") << std::numbers::pi << u"3.14159265358979"_s;
    QTest::newRow("large integer") << 123456789012345.0 << u"123456789012345"_s;
    QTest::newRow("huge") << 1e20 << u"1e+20"_s;
    QTest::newRow("tiny") << 1.5e-10 << u"1.5e-10"_s;
}

void tst_Calculator::formatNumber()
{
    QFETCH(double, value);
    QFETCH(QString, text);
    QCOMPARE(Calculator::formatNumber(value), text);
}

QTEST_APPLESS_MAIN(tst_Calculator)
#include "tst_calculator.moc"
