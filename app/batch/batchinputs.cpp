#include "batchinputs.h"

#include <switchboard/compactjson.h>
#include <switchboard/workflow.h>

#include <QCryptographicHash>
#include <QFile>
#include <QJsonDocument>
#include <QJsonParseError>

#include <cstdio>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

namespace {

/// "the workflow has no input 'colour' (inputs: topic, count)".
Error unknownInput(const Workflow &workflow, const QString &name)
{
    QStringList names;
    for (const WorkflowInput &input : workflow.inputs)
        names << input.name;
    return Error(Error::Code::InvalidReference,
                 names.isEmpty() ? u"the workflow has no inputs, and the row gives '%1'"_s.arg(name)
                                 : u"the workflow has no input '%1' (inputs: %2)"_s.arg(name, names.join(u", "_s)));
}

/// The row's values checked and completed (Workflow::checkInputs()), the
/// message without the declaration's location: the row is what is wrong.
Result<QJsonObject> completeRow(const Workflow &workflow, const QJsonObject &values)
{
    Result<QJsonObject> complete = workflow.checkInputs(values);
    if (!complete) {
        Error error = complete.error();
        error.location = {};
        return error;
    }
    return complete;
}

/// One CSV record from `text` at `pos` (RFC 4180: fields separated by
/// commas, quoted with '"' where they hold commas, quotes or line breaks, a
/// quote doubled inside). Moves `pos` past the record and `line` past its
/// line breaks; an error for a quote left open or text after a closing quote.
Result<QStringList> csvRecord(const QString &text, qsizetype &pos, int &line)
{
    QStringList fields;
    QString field;
    bool quoted = false;      // inside quotes
    bool wasQuoted = false;   // the field began with a quote
    while (pos < text.size()) {
        const QChar c = text.at(pos);
        if (quoted) {
            if (c == u'"') {
                if (pos + 1 < text.size() && text.at(pos + 1) == u'"') {
                    field += u'"';
                    pos += 2;
                    continue;
                }
                quoted = false;
                ++pos;
                continue;
            }
            if (c == u'\n')
                ++line;
            field += c;
            ++pos;
            continue;
        }
        if (c == u',') {
            fields << field;
            field.clear();
            wasQuoted = false;
            ++pos;
            continue;
        }
        if (c == u'\r' && pos + 1 < text.size() && text.at(pos + 1) == u'\n') {
            ++pos;
            continue;
        }
        if (c == u'\n') {
            ++pos;
            ++line;
            fields << field;
            return fields;
        }
        if (c == u'"') {
            if (!field.isEmpty() || wasQuoted)
                return Error(Error::Code::InvalidValue, u"a quote inside a field that does not begin with one "
                                                        u"(quote the whole field and double the quotes in it)"_s);
            quoted = true;
            wasQuoted = true;
            ++pos;
            continue;
        }
        if (wasQuoted)
            return Error(Error::Code::InvalidValue, u"text after a closing quote"_s);
        field += c;
        ++pos;
    }
    if (quoted)
        return Error(Error::Code::InvalidValue, u"a quoted field is not closed"_s);
    fields << field;
    return fields;
}

Result<BatchInputs> parseCsv(const QString &text, const QString &fileName, const Workflow &workflow)
{
    auto at = [&fileName](int line, const Error &error) {
        return Error(error.code, u"%1:%2: %3"_s.arg(fileName).arg(line).arg(error.message));
    };
    BatchInputs inputs;
    qsizetype pos = 0;
    int line = 1;
    const Result<QStringList> header = csvRecord(text, pos, line);
    if (!header)
        return at(1, header.error());
    if (header->size() == 1 && header->constFirst().isEmpty())
        return Error(Error::Code::MissingKey, u"%1: empty: the first line names the inputs (a header)"_s.arg(fileName));
    QStringList names;
    for (const QString &field : *header) {
        const QString name = field.trimmed();
        if (!workflow.input(name))
            return at(1, unknownInput(workflow, name));
        if (names.contains(name))
            return at(1, Error(Error::Code::InvalidValue, u"the input '%1' is named twice"_s.arg(name)));
        names << name;
    }
    while (pos < text.size()) {
        const int rowLine = line;
        const Result<QStringList> record = csvRecord(text, pos, line);
        if (!record)
            return at(rowLine, record.error());
        if (record->size() == 1 && record->constFirst().isEmpty())
            continue;   // a blank line
        if (record->size() != names.size())
            return at(rowLine, Error(Error::Code::InvalidValue, u"%1 fields, and the header names %2 inputs"_s
                                                                    .arg(record->size()).arg(names.size())));
        QMap<QString, QString> given;
        for (qsizetype i = 0; i < names.size(); ++i) {
            if (!record->at(i).isEmpty())
                given.insert(names.at(i), record->at(i));
        }
        // Converted from text as --input converts it, then checked and completed.
        const Result<QJsonObject> resolved = workflow.resolveInputs(given);
        if (!resolved) {
            Error error = resolved.error();
            error.location = {};
            return at(rowLine, error);
        }
        inputs.rows.append(BatchRow{int(inputs.rows.size()), rowLine, *resolved});
    }
    return inputs;
}

Result<BatchInputs> parseJsonLines(const QByteArray &bytes, const QString &fileName, const Workflow &workflow)
{
    BatchInputs inputs;
    int line = 0;
    qsizetype start = 0;
    while (start < bytes.size()) {
        qsizetype end = bytes.indexOf('\n', start);
        if (end < 0)
            end = bytes.size();
        ++line;
        const QByteArray text = bytes.mid(start, end - start).trimmed();
        start = end + 1;
        if (text.isEmpty())
            continue;
        auto at = [&](Error::Code code, const QString &message) {
            return Error(code, u"%1:%2: %3"_s.arg(fileName).arg(line).arg(message));
        };
        QJsonParseError parseError;
        const QJsonDocument document = QJsonDocument::fromJson(text, &parseError);
        if (parseError.error != QJsonParseError::NoError)
            return at(Error::Code::InvalidJson, u"not JSON: %1 at column %2"_s.arg(parseError.errorString())
                                                    .arg(parseError.offset + 1));
        if (!document.isObject())
            return at(Error::Code::WrongType, u"a row is a JSON object of inputs ({\"name\": value}), not %1"_s.arg(
                                                  compactJsonText(document.array(), 80)));
        QJsonObject values = document.object();
        for (auto it = values.begin(); it != values.end(); ++it) {
            const WorkflowInput *spec = workflow.input(it.key());
            if (!spec)
                return at(Error::Code::InvalidReference, unknownInput(workflow, it.key()).message);
            // A path is made absolute and clean, as --input makes it.
            if (spec->type == WorkflowInput::Type::Path && it.value().isString()) {
                if (const std::optional<QJsonValue> path = spec->fromText(it.value().toString()))
                    it.value() = *path;
            }
        }
        const Result<QJsonObject> complete = completeRow(workflow, values);
        if (!complete)
            return at(complete.error().code, complete.error().message);
        inputs.rows.append(BatchRow{int(inputs.rows.size()), line, *complete});
    }
    return inputs;
}

} // namespace

Result<BatchInputs> parseBatchInputs(const QByteArray &bytes, const QString &fileName, bool csv,
                                     const Workflow &workflow)
{
    Result<BatchInputs> inputs = csv ? parseCsv(QString::fromUtf8(bytes), fileName, workflow)
                                     : parseJsonLines(bytes, fileName, workflow);
    if (inputs)
        inputs->hash = QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex());
    return inputs;
}

Result<BatchInputs> readBatchInputs(const QString &fileName, const Workflow &workflow)
{
    const bool fromStdin = fileName == u"-";
    QFile file(fromStdin ? QString() : fileName);
    const bool opened = fromStdin ? file.open(stdin, QIODevice::ReadOnly) : file.open(QIODevice::ReadOnly);
    if (!opened)
        return Error(Error::Code::InvalidValue, u"%1: %2"_s.arg(fileName, file.errorString()));
    const QByteArray bytes = file.readAll();
    if (file.error() != QFileDevice::NoError)
        return Error(Error::Code::InvalidValue, u"%1: %2"_s.arg(fileName, file.errorString()));
    const bool csv = !fromStdin && fileName.endsWith(u".csv"_s, Qt::CaseInsensitive);
    return parseBatchInputs(bytes, fromStdin ? u"standard input"_s : fileName, csv, workflow);
}

} // namespace Switchboard::Cli
