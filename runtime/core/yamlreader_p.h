#pragma once

//
//  W A R N I N G
//  -------------
// This file is not part of the Switchboard API. It may change without notice.
//

// Reading YAML into the library's values, shared by every reader of YAML
// files (workflows with their plugin configurations, emulator scripts and
// agents files) so they agree on positions, on what type a scalar has and on
// what a file may cost. yaml-cpp never shows in a public header.
//
// The one way in is readFile() (for a path) and parse() (for the text): they
// refuse what no reader should walk (a FIFO, a file above its size limit,
// text that is not UTF-8, a second document, an alias cycle, a document that
// aliases make larger or deeper than YamlLimits allows) before yaml-cpp
// builds a node. Every node a reader gets from parse() is therefore finite,
// at most YamlLimits::maxDepth deep and at most YamlLimits::maxNodes large
// when walked with its aliases expanded, so the recursive walks below and in
// the readers are bounded.

#include <switchboard/error.h>
#include <switchboard/nearestname.h>
#include <switchboard/result.h>
#include <switchboard/yamllimits.h>

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QSet>
#include <QString>
#include <QStringList>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <utility>

namespace Switchboard::YamlReader {

inline QString toQString(const std::string &text)
{
    return QString::fromStdString(text);
}

/// The bytes of the file at `path`, read only if it is a regular file of at
/// most `maxSize` bytes. The error's message says why not, for a caller to
/// put after its own words ("cannot read the workflow: ..."): the system's
/// reason, "it is a directory", "it is a FIFO (named pipe), not a regular
/// file", or the size and the limit (Error::Code::FileTooLarge; otherwise
/// `code`). It never blocks on a FIFO or a device, and reads at most
/// `maxSize` + 1 bytes whatever the file claims.
Result<QByteArray> readFile(const QString &path, qint64 maxSize, Error::Code code);

/// The one document of `text` as yaml-cpp nodes, or the first reason not to
/// read it, located in `fileName`: text that is not UTF-8 (YamlSyntax), a
/// syntax error (YamlSyntax), a second document (YamlSyntax), an alias that
/// repeats a node it is part of, or a document above `limits` with its
/// aliases expanded (DocumentTooLarge, at the alias that goes over when one
/// does). Empty text (or only comments) is a null node.
Result<YAML::Node> parse(const QByteArray &text, const QString &fileName, const YamlLimits &limits);

/// The offset of the first byte of `text` that does not belong to valid
/// UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above
/// U+10FFFF), or -1 when it is all valid.
qsizetype invalidUtf8Offset(QByteArrayView text);

/// A 1-based position from yaml-cpp's 0-based mark (0:0 when unknown).
inline SourceLocation location(const QString &fileName, const YAML::Mark &mark)
{
    if (mark.is_null())
        return SourceLocation{fileName, 0, 0};
    return SourceLocation{fileName, mark.line + 1, mark.column + 1};
}

/// A syntax error as an Error at the exception's mark, said in words of
/// what to fix: yaml-cpp's own ("end of map not found") name its parser's
/// state, not the mistake that led there.
inline Error syntaxError(const QString &fileName, const YAML::Exception &exception)
{
    static const std::pair<const char *, const char *> words[] = {
        {YAML::ErrorMsg::END_OF_MAP,
         "a line does not fit the mapping it is in: check its indentation (the keys of one mapping line up), and "
         "that a quoted value ends with its closing quote"},
        {YAML::ErrorMsg::MAP_VALUE,
         "a ':' where no value may start: a key indented deeper than the ones before it, a line indented with a tab, "
         "or a value with ': ' in it (quote such a value: \"Note: this\")"},
        {YAML::ErrorMsg::MAP_KEY, "a key where none may start: check the indentation"},
        {YAML::ErrorMsg::END_OF_MAP_FLOW, "a '{' is not closed: '}' is missing before this point"},
        {YAML::ErrorMsg::END_OF_SEQ_FLOW, "a '[' is not closed: ']' is missing before this point"},
        {YAML::ErrorMsg::END_OF_SEQ, "a list item ('- ') is indented differently from the items before it"},
        {YAML::ErrorMsg::BLOCK_ENTRY, "a list item ('- ') where none may start: check the indentation"},
        {YAML::ErrorMsg::EOF_IN_SCALAR, "the file ends inside a quoted value: its closing quote is missing"},
        {YAML::ErrorMsg::TAB_IN_INDENTATION, "a tab in the indentation: YAML indents with spaces"},
        {YAML::ErrorMsg::CHAR_IN_SCALAR, "a character a plain value cannot hold here: quote the value"},
        {YAML::ErrorMsg::UNKNOWN_ANCHOR, "an alias (*name) refers to an anchor (&name) that is not defined before it"},
        {YAML::ErrorMsg::UNKNOWN_TOKEN, "something YAML cannot read: check the quotes and brackets before this point"},
    };
    QString message = toQString(exception.msg);
    for (const auto &[original, text] : words) {
        if (exception.msg == original)
            message = QString::fromUtf8(text);
    }
    if (exception.msg.rfind(YAML::ErrorMsg::INVALID_ESCAPE, 0) == 0)
        message = QStringLiteral("unknown escape '\\%1' in a double-quoted value (write \\\\ for a backslash, or use "
                                 "single quotes)")
                      .arg(toQString(exception.msg.substr(std::string(YAML::ErrorMsg::INVALID_ESCAPE).size())));
    Error error(Error::Code::YamlSyntax, message);
    error.location = location(fileName, exception.mark);
    return error;
}

/// The JSON value of a scalar: plain scalars get their YAML 1.2 core types
/// (true/false, null/~, integers, numbers), quoted and block ones stay strings.
inline QJsonValue scalarToJson(const YAML::Node &node)
{
    const QString text = toQString(node.Scalar());
    if (node.Tag() == "!")
        return text;
    if (text == u"true" || text == u"false")
        return text == u"true";
    if (text == u"null" || text == u"~")
        return QJsonValue(QJsonValue::Null);
    bool ok = false;
    const qint64 i = text.toLongLong(&ok);
    if (ok)
        return QJsonValue(i);
    const double d = text.toDouble(&ok);
    if (ok && !text.isEmpty() && (text.at(0).isDigit() || text.at(0) == u'-' || text.at(0) == u'.'))
        return d;
    return text;
}

/// A node as JSON. yaml-cpp 0.7 keeps duplicate keys and accepts any node as a
/// key, so both are reported through `problem(mark, code, message)` (which may
/// throw), in the written order; the first of duplicate keys wins. Linear in
/// the size of the value (with aliases expanded): a QJsonObject keeps its keys
/// sorted, and inserting them as written would move the keys after each new
/// one, so they are inserted in sorted order instead. Recursive, so only for
/// nodes from parse(), whose depth is bounded.
template<typename Problem>
QJsonValue toJson(const YAML::Node &node, const Problem &problem)
{
    switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
        return QJsonValue(QJsonValue::Null);
    case YAML::NodeType::Sequence: {
        QJsonArray array;
        for (const YAML::Node &item : node)
            array.append(toJson(item, problem));
        return array;
    }
    case YAML::NodeType::Map: {
        QList<std::pair<QString, QJsonValue>> members;
        QSet<QString> seen;
        for (auto it = node.begin(); it != node.end(); ++it) {
            if (!it->first.IsScalar()) {
                problem(it->first.Mark(), Error::Code::WrongType, QStringLiteral("a key must be a string"));
                continue;
            }
            QString key = toQString(it->first.Scalar());
            if (seen.contains(key)) {
                problem(it->first.Mark(), Error::Code::DuplicateKey, QStringLiteral("duplicate key '%1'").arg(key));
                continue;
            }
            seen.insert(key);
            QJsonValue value = toJson(it->second, problem);
            members.append({std::move(key), std::move(value)});
        }
        std::sort(members.begin(), members.end(),
                  [](const auto &a, const auto &b) { return a.first < b.first; });
        QJsonObject object;
        for (auto &[key, value] : members)
            object.insert(key, value);
        return object;
    }
    case YAML::NodeType::Scalar:
        break;
    }
    return scalarToJson(node);
}

/// "Did you mean" (the library's one nearestNames()).
inline QStringList nearest(const QString &name, const QStringList &candidates, int maxDistance = 2)
{
    return nearestNames(name, candidates, maxDistance);
}

} // namespace Switchboard::YamlReader
