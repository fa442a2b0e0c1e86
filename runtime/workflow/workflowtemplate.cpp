#include <switchboard/compactjson.h>
#include <switchboard/workflow.h>

#include <QLocale>

using namespace Qt::StringLiterals;

namespace Switchboard {

namespace {

bool isIdentStart(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || c == u'_';
}

// Step ids may contain '-', so path segments may too.
bool isIdentChar(QChar c)
{
    return isIdentStart(c) || (c >= u'0' && c <= u'9') || c == u'-';
}

// Where offset `offset` of a text that starts at `start` lies. Columns on
// later lines count from the start's column: exact for a literal block
// scalar, whose lines share the indentation the loader passes.
SourceLocation locationAt(const QString &text, qsizetype offset, const SourceLocation &start)
{
    SourceLocation location = start;
    if (start.line <= 0)
        return location;
    const int column = start.column > 0 ? start.column : 1;
    const qsizetype lastNewline = offset > 0 ? text.lastIndexOf(u'\n', offset - 1) : -1;
    if (lastNewline < 0) {
        location.column = column + int(offset);
    } else {
        location.line = start.line + int(QStringView(text).left(offset).count(u'\n'));
        location.column = column + int(offset - lastNewline - 1);
    }
    return location;
}

Error templateError(const QString &message, const QString &text, qsizetype offset, const SourceLocation &start)
{
    Error error(Error::Code::TemplateError, message);
    if (start.line > 0 || !start.file.isEmpty())
        error.location = locationAt(text, offset, start);
    return error;
}

QString jsonText(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return {};
    case QJsonValue::Bool:
        return value.toBool() ? u"true"_s : u"false"_s;
    case QJsonValue::Double: {
        // Integers as integers (QJsonValue keeps qint64 exactly), the rest
        // as the shortest text that reads back the same, like JSON.
        const QVariant variant = value.toVariant();
        if (variant.typeId() == QMetaType::LongLong)
            return QString::number(variant.toLongLong());
        return QString::number(value.toDouble(), 'g', QLocale::FloatingPointShortest);
    }
    case QJsonValue::String:
        return value.toString();
    case QJsonValue::Array:
    case QJsonValue::Object:
        return compactJsonText(value);
    }
    return {};
}

QString describePath(const QStringList &path, qsizetype count)
{
    QString text;
    for (qsizetype i = 0; i < count; ++i) {
        const QString &segment = path.at(i);
        bool isIndex = false;
        segment.toLongLong(&isIndex);
        if (isIndex)
            text += u'[' + segment + u']';
        else
            text += (text.isEmpty() ? QString() : u"."_s) + segment;
    }
    return text;
}

Result<QJsonValue> resolve(const TemplateReference &reference, const QJsonObject &context)
{
    const auto fail = [&reference](const QString &why) {
        Error error(Error::Code::TemplateError, u"'{{ %1 }}' does not resolve: %2"_s.arg(reference.text, why));
        if (reference.location.line > 0 || !reference.location.file.isEmpty())
            error.location = reference.location;
        return error;
    };
    QJsonValue current = context;
    for (qsizetype i = 0; i < reference.path.size(); ++i) {
        const QString &segment = reference.path.at(i);
        // A null on the way (a skipped step, an absent structured output)
        // makes the whole reference null: it renders as "" and is falsy.
        if (current.isNull())
            return QJsonValue(QJsonValue::Null);
        if (current.isObject()) {
            const QJsonObject object = current.toObject();
            const auto it = object.constFind(segment);
            if (it == object.constEnd()) {
                if (i == 0)
                    return fail(u"there is no '%1'"_s.arg(segment));
                return fail(u"%1 has no '%2'"_s.arg(describePath(reference.path, i), segment));
            }
            current = it.value();
        } else if (current.isArray()) {
            bool ok = false;
            qint64 index = segment.toLongLong(&ok);
            const QJsonArray array = current.toArray();
            if (!ok)
                return fail(u"%1 is a list, not an object with '%2'"_s.arg(describePath(reference.path, i), segment));
            const qint64 original = index;
            if (index < 0)
                index += array.size();
            if (index < 0 || index >= array.size())
                return fail(u"index %1 is out of range (%2 has %3 item(s))"_s
                                .arg(original)
                                .arg(describePath(reference.path, i))
                                .arg(array.size()));
            current = array.at(index);
        } else {
            return fail(u"%1 is not an object (it cannot have '%2')"_s.arg(describePath(reference.path, i), segment));
        }
    }
    return current;
}

} // namespace

Result<WorkflowTemplate> WorkflowTemplate::parse(const QString &text, const SourceLocation &location)
{
    WorkflowTemplate result;
    result.m_source = text;
    result.m_location = location;
    QString literal;
    qsizetype pos = 0;
    const qsizetype size = text.size();
    while (pos < size) {
        const qsizetype open = text.indexOf(u"{{"_s, pos);
        if (open < 0) {
            literal += QStringView(text).mid(pos);
            break;
        }
        literal += QStringView(text).mid(pos, open - pos);
        qsizetype i = open + 2;
        const auto skipSpaces = [&] {
            while (i < size && (text.at(i) == u' ' || text.at(i) == u'\t'))
                ++i;
        };
        const auto unclosed = [&] {
            return templateError(u"'{{' without '}}'"_s, text, open, location);
        };
        const auto expectClose = [&]() -> Result<void> {
            skipSpaces();
            if (i >= size)
                return unclosed();
            if (text.mid(i, 2) != u"}}") {
                const qsizetype close = text.indexOf(u"}}"_s, i);
                if (close < 0)
                    return unclosed();
                return templateError(u"unexpected '%1' in '%2'"_s.arg(text.at(i), text.mid(open, close + 2 - open)),
                                     text, i, location);
            }
            i += 2;
            return {};
        };
        skipSpaces();
        if (i >= size)
            return unclosed();
        if (text.at(i) == u'"') {
            // {{ "literal" }}: the only way to write "{{" itself.
            ++i;
            QString value;
            bool closed = false;
            while (i < size) {
                const QChar c = text.at(i);
                if (c == u'\\' && i + 1 < size && (text.at(i + 1) == u'"' || text.at(i + 1) == u'\\')) {
                    value += text.at(i + 1);
                    i += 2;
                    continue;
                }
                ++i;
                if (c == u'"') {
                    closed = true;
                    break;
                }
                value += c;
            }
            if (!closed)
                return templateError(u"string literal without its closing '\"'"_s, text, open, location);
            if (const Result<void> closeResult = expectClose(); !closeResult)
                return closeResult.error();
            literal += value;
            pos = i;
            continue;
        }
        // A path: ident ( "." ident | "[" integer "]" )*
        TemplateReference reference;
        reference.location = locationAt(text, open, location);
        const qsizetype pathStart = i;
        const auto placeholderText = [&] {
            const qsizetype close = text.indexOf(u"}}"_s, open);
            return close < 0 ? text.mid(open) : text.mid(open, close + 2 - open);
        };
        if (text.mid(i, 2) == u"}}")
            return templateError(u"empty placeholder '%1'"_s.arg(placeholderText()), text, open, location);
        const auto ident = [&]() -> Result<QString> {
            if (i >= size)
                return unclosed();
            if (!isIdentStart(text.at(i)))
                return templateError(u"expected a name at '%1' in '%2'"_s.arg(text.at(i), placeholderText()), text,
                                     i, location);
            const qsizetype start = i;
            while (i < size && isIdentChar(text.at(i)))
                ++i;
            return text.mid(start, i - start);
        };
        Result<QString> first = ident();
        if (!first)
            return first.error();
        reference.path.append(*first);
        while (i < size) {
            const QChar c = text.at(i);
            if (c == u'.') {
                ++i;
                Result<QString> name = ident();
                if (!name)
                    return name.error();
                reference.path.append(*name);
            } else if (c == u'[') {
                const qsizetype bracket = i;
                ++i;
                const qsizetype start = i;
                if (i < size && text.at(i) == u'-')
                    ++i;
                while (i < size && text.at(i).isDigit() && text.at(i).unicode() < 128)
                    ++i;
                bool ok = false;
                const qint64 index = text.mid(start, i - start).toLongLong(&ok);
                if (!ok || i >= size || text.at(i) != u']')
                    return templateError(u"expected an integer index in '%1'"_s.arg(placeholderText()), text, bracket,
                                         location);
                ++i;
                reference.path.append(QString::number(index));
            } else {
                break;
            }
        }
        reference.text = text.mid(pathStart, i - pathStart);
        if (const Result<void> closeResult = expectClose(); !closeResult)
            return closeResult.error();
        if (!literal.isEmpty()) {
            result.m_parts.append(literal);
            literal.clear();
        }
        result.m_parts.append(reference);
        pos = i;
    }
    if (!literal.isEmpty())
        result.m_parts.append(literal);
    return result;
}

QList<TemplateReference> WorkflowTemplate::references() const
{
    QList<TemplateReference> references;
    for (const auto &part : m_parts) {
        if (const auto *reference = std::get_if<TemplateReference>(&part))
            references.append(*reference);
    }
    return references;
}

bool WorkflowTemplate::isSingleReference() const
{
    return m_parts.size() == 1 && std::holds_alternative<TemplateReference>(m_parts.first());
}

Result<QJsonValue> WorkflowTemplate::evaluate(const QJsonObject &context) const
{
    if (isSingleReference())
        return resolve(std::get<TemplateReference>(m_parts.first()), context);
    Result<QString> text = render(context);
    if (!text)
        return text.error();
    return QJsonValue(*text);
}

Result<QString> WorkflowTemplate::render(const QJsonObject &context) const
{
    QString text;
    for (const auto &part : m_parts) {
        if (const auto *literal = std::get_if<QString>(&part)) {
            text += *literal;
            continue;
        }
        Result<QJsonValue> value = resolve(std::get<TemplateReference>(part), context);
        if (!value)
            return value.error();
        text += jsonText(*value);
    }
    return text;
}

namespace {

bool isTruthy(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return false;
    case QJsonValue::Bool:
        return value.toBool();
    case QJsonValue::Double:
        return value.toDouble() != 0;
    case QJsonValue::String: {
        const QString text = value.toString().trimmed().toLower();
        return !text.isEmpty() && text != u"false" && text != u"0" && text != u"null";
    }
    case QJsonValue::Array:
        return !value.toArray().isEmpty();
    case QJsonValue::Object:
        return !value.toObject().isEmpty();
    }
    return false;
}

} // namespace

Result<bool> WorkflowCondition::evaluate(const QJsonObject &context) const
{
    const Result<QJsonValue> leftValue = left.evaluate(context);
    if (!leftValue)
        return leftValue.error();
    if (op == Op::Truthy)
        return isTruthy(*leftValue);
    // Compared as rendered text, so `{equals: ["{{ steps.a.output.n }}", 3]}`
    // holds whether the model answered 3 or 3.0.
    const Result<QJsonValue> rightValue = right.evaluate(context);
    if (!rightValue)
        return rightValue.error();
    const QString rightText = jsonText(*rightValue);
    switch (op) {
    case Op::Truthy:
        break;
    case Op::Equals:
        return jsonText(*leftValue) == rightText;
    case Op::NotEquals:
        return jsonText(*leftValue) != rightText;
    case Op::Contains:
        if (leftValue->isArray()) {
            const QJsonArray array = leftValue->toArray();
            return std::any_of(array.begin(), array.end(),
                               [&rightText](const QJsonValue &item) { return jsonText(item) == rightText; });
        }
        if (leftValue->isObject())
            return leftValue->toObject().contains(rightText);
        return jsonText(*leftValue).contains(rightText);
    }
    return false;
}

} // namespace Switchboard
