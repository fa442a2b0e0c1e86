#include <switchboard/workflow.h>

#include <QJsonDocument>
#include <QTest>

using namespace Switchboard;
using namespace Qt::StringLiterals;

namespace {

QJsonObject json(const char *text)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(QByteArray(text), &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("bad JSON in test: %s", qPrintable(error.errorString()));
    return document.object();
}

// The run context every evaluation test uses.
QJsonObject context()
{
    return json(R"({
        "inputs": {"city": "Paris", "count": 3, "ratio": 0.25, "big": 9007199254740993, "on": true,
                   "none": null, "list": [1, "two", {"three": 3}], "obj": {"a": 1, "b": [true, null]}},
        "steps": {
            "ask": {"text": "42", "status": "succeeded", "conversation_id": "conv_1", "output": null,
                    "entries": [{"id": "e0", "type": "message.input", "role": "user", "text": "hi"},
                                {"id": "e1", "type": "message.output", "role": "assistant", "text": "hello"}]},
            "review": {"text": "ok", "output": {"approved": false, "score": 7.5, "tags": ["x", "y"],
                                                 "nested": {"deep": "down"}}},
            "skipped": null
        }
    })");
}

WorkflowTemplate parsed(const QString &text)
{
    const Result<WorkflowTemplate> result = WorkflowTemplate::parse(text, SourceLocation{u"f.yaml"_s, 3, 10});
    if (!result)
        qFatal("template did not parse: %s", qPrintable(result.error().toString()));
    return *result;
}

} // namespace

class tst_WorkflowTemplate : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parseReferences_data();
    void parseReferences();
    void parseErrors_data();
    void parseErrors();
    void render_data();
    void render();
    void evaluateKeepsType_data();
    void evaluateKeepsType();
    void unresolvable_data();
    void unresolvable();
    void nullPropagates();
    void condition_data();
    void condition();
};

void tst_WorkflowTemplate::parseReferences_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QList<QStringList>>("paths");
    QTest::addColumn<QStringList>("texts");
    QTest::addColumn<QList<int>>("columns");   // of each reference's opening braces
    QTest::addColumn<bool>("single");

    QTest::newRow("plain") << u"no placeholders"_s << QList<QStringList>{} << QStringList{} << QList<int>{} << false;
    QTest::newRow("empty") << QString() << QList<QStringList>{} << QStringList{} << QList<int>{} << false;
    QTest::newRow("input") << u"{{ inputs.city }}"_s << QList<QStringList>{{u"inputs"_s, u"city"_s}}
                           << QStringList{u"inputs.city"_s} << QList<int>{10} << true;
    QTest::newRow("no spaces") << u"{{inputs.city}}"_s << QList<QStringList>{{u"inputs"_s, u"city"_s}}
                               << QStringList{u"inputs.city"_s} << QList<int>{10} << true;
    QTest::newRow("tabs and spaces") << u"{{ \t steps.a.text  }}"_s
                                     << QList<QStringList>{{u"steps"_s, u"a"_s, u"text"_s}}
                                     << QStringList{u"steps.a.text"_s} << QList<int>{10} << true;
    QTest::newRow("two") << u"A {{ inputs.a }} and {{ steps.x-1.output.f_g }}!"_s
                         << QList<QStringList>{{u"inputs"_s, u"a"_s}, {u"steps"_s, u"x-1"_s, u"output"_s, u"f_g"_s}}
                         << QStringList{u"inputs.a"_s, u"steps.x-1.output.f_g"_s} << QList<int>{12, 31} << false;
    QTest::newRow("indices") << u"{{ steps.a.entries[0].id }} {{ steps.a.entries[-1] }}"_s
                             << QList<QStringList>{{u"steps"_s, u"a"_s, u"entries"_s, u"0"_s, u"id"_s},
                                                   {u"steps"_s, u"a"_s, u"entries"_s, u"-1"_s}}
                             << QStringList{u"steps.a.entries[0].id"_s, u"steps.a.entries[-1]"_s}
                             << QList<int>{10, 38} << false;
    QTest::newRow("literal is not a reference") << u"{{ \"{{\" }}"_s << QList<QStringList>{} << QStringList{}
                                                << QList<int>{} << false;
    QTest::newRow("surrounding text") << u" {{ inputs.a }}"_s << QList<QStringList>{{u"inputs"_s, u"a"_s}}
                                      << QStringList{u"inputs.a"_s} << QList<int>{11} << false;
}

void tst_WorkflowTemplate::parseReferences()
{
    QFETCH(QString, text);
    QFETCH(QList<QStringList>, paths);
    QFETCH(QStringList, texts);
    QFETCH(QList<int>, columns);
    QFETCH(bool, single);

    const WorkflowTemplate templ = parsed(text);
    QCOMPARE(templ.source(), text);
    QCOMPARE(templ.isEmpty(), text.isEmpty());
    QCOMPARE(templ.isSingleReference(), single);
    const QList<TemplateReference> references = templ.references();
    QCOMPARE(references.size(), paths.size());
    for (qsizetype i = 0; i < references.size(); ++i) {
        QCOMPARE(references.at(i).path, paths.at(i));
        QCOMPARE(references.at(i).text, texts.at(i));
        QCOMPARE(references.at(i).location, (SourceLocation{u"f.yaml"_s, 3, columns.at(i)}));
    }
}

void tst_WorkflowTemplate::parseErrors_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("message");

    // The text starts at f.yaml:3:10.
    QTest::newRow("unclosed") << u"Hi {{ inputs.a"_s << 3 << 13 << u"'{{' without '}}'"_s;
    QTest::newRow("unclosed at end") << u"Hi {{"_s << 3 << 13 << u"'{{' without '}}'"_s;
    QTest::newRow("single brace close") << u"{{ inputs.a }"_s << 3 << 10 << u"'{{' without '}}'"_s;
    QTest::newRow("empty") << u"x {{ }}"_s << 3 << 12 << u"empty placeholder '{{ }}'"_s;
    QTest::newRow("empty no space") << u"{{}}"_s << 3 << 10 << u"empty placeholder '{{}}'"_s;
    QTest::newRow("space inside path") << u"{{ inputs. city }}"_s << 3 << 20
                                       << u"expected a name at ' ' in '{{ inputs. city }}'"_s;
    QTest::newRow("digit name") << u"{{ 1abc }}"_s << 3 << 13 << u"expected a name at '1' in '{{ 1abc }}'"_s;
    QTest::newRow("two names") << u"{{ inputs.a b }}"_s << 3 << 22 << u"unexpected 'b' in '{{ inputs.a b }}'"_s;
    QTest::newRow("filter syntax") << u"{{ inputs.a | upper }}"_s << 3 << 22
                                   << u"unexpected '|' in '{{ inputs.a | upper }}'"_s;
    QTest::newRow("trailing dot") << u"{{ inputs. }}"_s << 3 << 20 << u"expected a name at ' ' in '{{ inputs. }}'"_s;
    QTest::newRow("bad index") << u"{{ steps.a.entries[x] }}"_s << 3 << 28
                               << u"expected an integer index in '{{ steps.a.entries[x] }}'"_s;
    QTest::newRow("unclosed index") << u"{{ steps.a.entries[1 }}"_s << 3 << 28
                                    << u"expected an integer index in '{{ steps.a.entries[1 }}'"_s;
    QTest::newRow("empty index") << u"{{ a[] }}"_s << 3 << 14 << u"expected an integer index in '{{ a[] }}'"_s;
    QTest::newRow("unterminated literal") << u"ok {{ \"abc }}"_s << 3 << 13
                                          << u"string literal without its closing '\"'"_s;
    QTest::newRow("literal then junk") << u"{{ \"a\" b }}"_s << 3 << 17 << u"unexpected 'b' in '{{ \"a\" b }}'"_s;
    QTest::newRow("second line") << u"first line\n  then {{ oops"_s << 4 << 17 << u"'{{' without '}}'"_s;
    QTest::newRow("third line") << u"a\nb\n{{ x.[0] }}"_s << 5 << 15 << u"expected a name at '[' in '{{ x.[0] }}'"_s;
}

void tst_WorkflowTemplate::parseErrors()
{
    QFETCH(QString, text);
    QFETCH(int, line);
    QFETCH(int, column);
    QFETCH(QString, message);

    const Result<WorkflowTemplate> result = WorkflowTemplate::parse(text, SourceLocation{u"f.yaml"_s, 3, 10});
    QVERIFY(!result);
    QCOMPARE(result.error().code, Error::Code::TemplateError);
    QCOMPARE(result.error().message, message);
    QVERIFY(result.error().location.has_value());
    QCOMPARE(*result.error().location, (SourceLocation{u"f.yaml"_s, line, column}));
}

void tst_WorkflowTemplate::render_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");

    QTest::newRow("plain") << u"no placeholders"_s << u"no placeholders"_s;
    QTest::newRow("string") << u"Weather in {{ inputs.city }}?"_s << u"Weather in Paris?"_s;
    QTest::newRow("integer") << u"n={{ inputs.count }}"_s << u"n=3"_s;
    QTest::newRow("big integer exact") << u"{{ inputs.big }}!"_s << u"9007199254740993!"_s;
    QTest::newRow("double") << u"r={{ inputs.ratio }}"_s << u"r=0.25"_s;
    QTest::newRow("double from output") << u"{{ steps.review.output.score }}/10"_s << u"7.5/10"_s;
    QTest::newRow("true") << u"on={{ inputs.on }}"_s << u"on=true"_s;
    QTest::newRow("false") << u"{{ steps.review.output.approved }}."_s << u"false."_s;
    QTest::newRow("null") << u"[{{ inputs.none }}]"_s << u"[]"_s;
    QTest::newRow("array") << u"list: {{ inputs.list }}"_s << uR"(list: [1,"two",{"three":3}])"_s;
    QTest::newRow("object") << u"obj: {{ inputs.obj }}"_s << uR"(obj: {"a":1,"b":[true,null]})"_s;
    QTest::newRow("array element") << u"{{ inputs.list[1] }}{{ inputs.list[-1].three }}"_s << u"two3"_s;
    QTest::newRow("entry first") << u"{{ steps.ask.entries[0].id }}"_s << u"e0"_s;
    QTest::newRow("entry last") << u"{{ steps.ask.entries[-1].text }}"_s << u"hello"_s;
    QTest::newRow("entry -2") << u"{{ steps.ask.entries[-2].role }}"_s << u"user"_s;
    QTest::newRow("literal braces") << u"{{ \"{{\" }} inputs.city {{ \"}}\" }}"_s << u"{{ inputs.city }}"_s;
    QTest::newRow("literal escapes") << u"{{ \"a\\\"b\\\\c\" }}"_s << u"a\"b\\c"_s;
    QTest::newRow("multiline") << u"Line 1 {{ inputs.city }}\nLine 2 {{ steps.ask.text }}\n"_s
                               << u"Line 1 Paris\nLine 2 42\n"_s;
    QTest::newRow("lone closing braces") << u"a }} b"_s << u"a }} b"_s;
    QTest::newRow("unicode") << u"café {{ inputs.city }} ☕"_s << u"café Paris ☕"_s;
}

void tst_WorkflowTemplate::render()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    const Result<QString> rendered = parsed(text).render(context());
    QVERIFY2(rendered, qPrintable(rendered.error().toString()));
    QCOMPARE(*rendered, expected);
    // Several parts evaluate to the rendered text.
    const WorkflowTemplate templ = parsed(text);
    if (!templ.isSingleReference()) {
        const Result<QJsonValue> value = templ.evaluate(context());
        QVERIFY(value);
        QCOMPARE(*value, QJsonValue(expected));
    }
}

void tst_WorkflowTemplate::evaluateKeepsType_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QJsonValue>("expected");

    QTest::newRow("string") << u"{{ inputs.city }}"_s << QJsonValue(u"Paris"_s);
    QTest::newRow("integer") << u"{{ inputs.count }}"_s << QJsonValue(3);
    QTest::newRow("double") << u"{{ inputs.ratio }}"_s << QJsonValue(0.25);
    QTest::newRow("bool") << u"{{inputs.on}}"_s << QJsonValue(true);
    QTest::newRow("null") << u"{{ inputs.none }}"_s << QJsonValue(QJsonValue::Null);
    QTest::newRow("array") << u"{{ steps.review.output.tags }}"_s << QJsonValue(QJsonArray{u"x"_s, u"y"_s});
    QTest::newRow("object") << u"{{ steps.review.output.nested }}"_s << QJsonValue(QJsonObject{{u"deep"_s, u"down"_s}});
    QTest::newRow("whole step") << u"{{ steps.review.output }}"_s
                                << QJsonValue(json(R"({"approved": false, "score": 7.5, "tags": ["x", "y"],
                                                       "nested": {"deep": "down"}})"));
    QTest::newRow("entry") << u"{{ steps.ask.entries[-1] }}"_s
                           << QJsonValue(json(R"({"id": "e1", "type": "message.output", "role": "assistant",
                                                  "text": "hello"})"));
    QTest::newRow("text around: a string") << u"{{ inputs.count }} "_s << QJsonValue(u"3 "_s);
    QTest::newRow("literal: a string") << u"{{ \"7\" }}"_s << QJsonValue(u"7"_s);
}

void tst_WorkflowTemplate::evaluateKeepsType()
{
    QFETCH(QString, text);
    QFETCH(QJsonValue, expected);
    const Result<QJsonValue> value = parsed(text).evaluate(context());
    QVERIFY2(value, qPrintable(value.error().toString()));
    QCOMPARE(*value, expected);
}

void tst_WorkflowTemplate::unresolvable_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("message");

    QTest::newRow("unknown root") << u"{{ nothing.here }}"_s << 10
                                  << u"'{{ nothing.here }}' does not resolve: there is no 'nothing'"_s;
    QTest::newRow("unknown input") << u"x {{ inputs.town }}"_s << 12
                                   << u"'{{ inputs.town }}' does not resolve: inputs has no 'town'"_s;
    QTest::newRow("index out of range") << u"{{ steps.ask.entries[2].id }}"_s << 10
                                        << u"'{{ steps.ask.entries[2].id }}' does not resolve: index 2 is out of range "
                                           u"(steps.ask.entries has 2 item(s))"_s;
    QTest::newRow("negative out of range") << u"a{{ steps.ask.entries[-3] }}"_s << 11
                                           << u"'{{ steps.ask.entries[-3] }}' does not resolve: index -3 is out of "
                                              u"range (steps.ask.entries has 2 item(s))"_s;
    QTest::newRow("missing field") << u"{{ steps.review.output.nested.nope }}"_s << 10
                                   << u"'{{ steps.review.output.nested.nope }}' does not resolve: "
                                      u"steps.review.output.nested has no 'nope'"_s;
    QTest::newRow("field of a string") << u"{{ steps.ask.text.length }}"_s << 10
                                       << u"'{{ steps.ask.text.length }}' does not resolve: steps.ask.text is not an "
                                          u"object (it cannot have 'length')"_s;
    QTest::newRow("name on a list") << u"{{ inputs.list.first }}"_s << 10
                                    << u"'{{ inputs.list.first }}' does not resolve: inputs.list is a list, not an "
                                       u"object with 'first'"_s;
    QTest::newRow("index on an object") << u"{{ inputs.obj[0] }}"_s << 10
                                        << u"'{{ inputs.obj[0] }}' does not resolve: inputs.obj has no '0'"_s;
}

void tst_WorkflowTemplate::unresolvable()
{
    QFETCH(QString, text);
    QFETCH(int, column);
    QFETCH(QString, message);
    const WorkflowTemplate templ = parsed(text);
    for (const Error &error : {templ.render(context()).error(), templ.evaluate(context()).error()}) {
        QCOMPARE(error.code, Error::Code::TemplateError);
        QCOMPARE(error.message, message);
        QVERIFY(error.location.has_value());
        QCOMPARE(*error.location, (SourceLocation{u"f.yaml"_s, 3, column}));
    }
}

void tst_WorkflowTemplate::nullPropagates()
{
    // A skipped step is null in the context: what is under it is null too,
    // renders as "" and evaluates to null.
    const WorkflowTemplate templ = parsed(u"{{ steps.skipped.output.title }}"_s);
    QCOMPARE(templ.evaluate(context()).valueOr(QJsonValue(1)), QJsonValue(QJsonValue::Null));
    QCOMPARE(parsed(u"[{{ steps.skipped.text }}]"_s).render(context()).valueOr(u"fail"_s), u"[]"_s);
    QCOMPARE(parsed(u"{{ steps.ask.output.x }}"_s).evaluate(context()).valueOr(QJsonValue(1)),
             QJsonValue(QJsonValue::Null));
}

void tst_WorkflowTemplate::condition_data()
{
    QTest::addColumn<WorkflowCondition::Op>("op");
    QTest::addColumn<QString>("left");
    QTest::addColumn<QString>("right");
    QTest::addColumn<bool>("expected");

    using Op = WorkflowCondition::Op;
    QTest::newRow("truthy string") << Op::Truthy << u"{{ inputs.city }}"_s << QString() << true;
    QTest::newRow("truthy false bool") << Op::Truthy << u"{{ steps.review.output.approved }}"_s << QString() << false;
    QTest::newRow("truthy true bool") << Op::Truthy << u"{{ inputs.on }}"_s << QString() << true;
    QTest::newRow("truthy null") << Op::Truthy << u"{{ inputs.none }}"_s << QString() << false;
    QTest::newRow("truthy skipped") << Op::Truthy << u"{{ steps.skipped.text }}"_s << QString() << false;
    QTest::newRow("truthy text 10") << Op::Truthy << u"{{ inputs.list[0] }}0"_s << QString() << true;
    QTest::newRow("truthy text false") << Op::Truthy << u"False"_s << QString() << false;
    QTest::newRow("truthy text 0") << Op::Truthy << u"0"_s << QString() << false;
    QTest::newRow("truthy text null") << Op::Truthy << u" null "_s << QString() << false;
    QTest::newRow("truthy empty") << Op::Truthy << u"{{ inputs.none }}"_s << QString() << false;
    QTest::newRow("truthy list") << Op::Truthy << u"{{ steps.review.output.tags }}"_s << QString() << true;
    QTest::newRow("equals text") << Op::Equals << u"{{ steps.ask.text }}"_s << u"42"_s << true;
    QTest::newRow("equals number vs text") << Op::Equals << u"{{ inputs.count }}"_s << u"3"_s << true;
    QTest::newRow("equals bool vs text") << Op::Equals << u"{{ steps.review.output.approved }}"_s << u"false"_s
                                         << true;
    QTest::newRow("equals differs") << Op::Equals << u"{{ inputs.city }}"_s << u"paris"_s << false;
    QTest::newRow("not equals") << Op::NotEquals << u"{{ inputs.city }}"_s << u"Berlin"_s << true;
    QTest::newRow("not equals same") << Op::NotEquals << u"{{ inputs.city }}"_s << u"Paris"_s << false;
    QTest::newRow("contains substring") << Op::Contains << u"{{ steps.ask.entries[1].text }}"_s << u"ell"_s << true;
    QTest::newRow("contains no") << Op::Contains << u"{{ inputs.city }}"_s << u"x"_s << false;
    QTest::newRow("contains array element") << Op::Contains << u"{{ steps.review.output.tags }}"_s << u"y"_s << true;
    QTest::newRow("array has no substring") << Op::Contains << u"{{ steps.review.output.tags }}"_s << u"\""_s
                                            << false;
    QTest::newRow("contains object key") << Op::Contains << u"{{ inputs.obj }}"_s << u"b"_s << true;
    QTest::newRow("contains reference right") << Op::Contains << u"Hello Paris"_s << u"{{ inputs.city }}"_s << true;
}

void tst_WorkflowTemplate::condition()
{
    QFETCH(WorkflowCondition::Op, op);
    QFETCH(QString, left);
    QFETCH(QString, right);
    QFETCH(bool, expected);
    WorkflowCondition condition;
    condition.op = op;
    condition.left = parsed(left);
    condition.right = parsed(right);
    const Result<bool> result = condition.evaluate(context());
    QVERIFY2(result, qPrintable(result.error().toString()));
    QCOMPARE(*result, expected);

    // An unresolvable side is an error, not false.
    condition.left = parsed(u"{{ inputs.missing }}"_s);
    QCOMPARE(condition.evaluate(context()).error().code, Error::Code::TemplateError);
}

QTEST_GUILESS_MAIN(tst_WorkflowTemplate)
#include "tst_workflowtemplate.moc"
