#pragma once

// Reading YAML into the library's values, shared by the readers of YAML
// files (emulator scripts, workflows) so they agree on positions and on
// what type a scalar has. Private: yaml-cpp never shows in a public header.

#include <switchboard/error.h>

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>

#include <yaml-cpp/yaml.h>

#include <algorithm>

namespace Switchboard::YamlReader {

inline QString toQString(const std::string &text)
{
    return QString::fromStdString(text);
}

/// A 1-based position from yaml-cpp's 0-based mark (0:0 when unknown).
inline SourceLocation location(const QString &fileName, const YAML::Mark &mark)
{
    if (mark.is_null())
        return SourceLocation{fileName, 0, 0};
    return SourceLocation{fileName, mark.line + 1, mark.column + 1};
}

/// A syntax error as an Error at the exception's mark.
inline Error syntaxError(const QString &fileName, const YAML::Exception &exception)
{
    Error error(Error::Code::YamlSyntax, toQString(exception.msg));
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
/// throw); the first of duplicate keys wins.
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
        QJsonObject object;
        for (auto it = node.begin(); it != node.end(); ++it) {
            if (!it->first.IsScalar()) {
                problem(it->first.Mark(), Error::Code::WrongType, QStringLiteral("a key must be a string"));
                continue;
            }
            const QString key = toQString(it->first.Scalar());
            if (object.contains(key)) {
                problem(it->first.Mark(), Error::Code::DuplicateKey, QStringLiteral("duplicate key '%1'").arg(key));
                continue;
            }
            object.insert(key, toJson(it->second, problem));
        }
        return object;
    }
    case YAML::NodeType::Scalar:
        break;
    }
    return scalarToJson(node);
}

/// Levenshtein distance, for "did you mean" suggestions.
inline int editDistance(QStringView a, QStringView b)
{
    QList<int> row(b.size() + 1);
    for (qsizetype j = 0; j <= b.size(); ++j)
        row[j] = int(j);
    for (qsizetype i = 1; i <= a.size(); ++i) {
        int diagonal = row[0];
        row[0] = int(i);
        for (qsizetype j = 1; j <= b.size(); ++j) {
            const int above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = above;
        }
    }
    return row[b.size()];
}

/// The candidate nearest to `name` within `maxDistance` edits, or "" (also
/// when two are equally near: a guess between them would mislead).
inline QString nearest(const QString &name, const QStringList &candidates, int maxDistance = 2)
{
    QString best;
    int bestDistance = maxDistance + 1;
    bool tie = false;
    for (const QString &candidate : candidates) {
        const int distance = editDistance(name, candidate);
        if (distance < bestDistance) {
            best = candidate;
            bestDistance = distance;
            tie = false;
        } else if (distance == bestDistance) {
            tie = true;
        }
    }
    return tie || bestDistance > maxDistance ? QString() : best;
}

} // namespace Switchboard::YamlReader
