#pragma once

//  W A R N I N G: not part of the Switchboard API; may change without notice.
//
// The small conversions the journal's records and its database share.

#include <switchboard/runjournal.h>
#include <switchboard/workflowrun.h>

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMetaEnum>
#include <QVariant>

#include <optional>

namespace Switchboard::JournalValues {

using namespace Qt::StringLiterals;

inline QString stepStateName(StepRecord::State state)
{
    return StepRecord::stateName(state);
}

inline std::optional<StepRecord::State> stepStateFromName(const QString &name)
{
    for (StepRecord::State state : {StepRecord::State::Running, StepRecord::State::Waiting,
                                    StepRecord::State::Succeeded, StepRecord::State::Failed,
                                    StepRecord::State::Skipped, StepRecord::State::Canceled}) {
        if (StepRecord::stateName(state) == name)
            return state;
    }
    return std::nullopt;
}

inline std::optional<ToolCallRecord::State> callStateFromName(const QString &name)
{
    for (ToolCallRecord::State state :
         {ToolCallRecord::State::AwaitingConfirmation, ToolCallRecord::State::Approved,
          ToolCallRecord::State::Denied, ToolCallRecord::State::Started, ToolCallRecord::State::Finished}) {
        if (ToolCallRecord::stateName(state) == name)
            return state;
    }
    return std::nullopt;
}

inline StepRecord::State stepStateOf(StepResult::Status status)
{
    switch (status) {
    case StepResult::Status::Succeeded:
        return StepRecord::State::Succeeded;
    case StepResult::Status::Failed:
        return StepRecord::State::Failed;
    case StepResult::Status::Skipped:
        return StepRecord::State::Skipped;
    case StepResult::Status::Canceled:
        return StepRecord::State::Canceled;
    case StepResult::Status::Waiting:
        return StepRecord::State::Waiting;
    case StepResult::Status::Pending:
    case StepResult::Status::Running:
        break;
    }
    return StepRecord::State::Running;
}

inline QString compactJson(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

inline QJsonObject parseObject(const QVariant &text)
{
    if (text.isNull())
        return {};
    return QJsonDocument::fromJson(text.toString().toUtf8()).object();
}

inline QJsonObject errorJson(const Error &error)
{
    QJsonObject json{{u"code"_s, Error::codeName(error.code)}, {u"message"_s, error.message}};
    if (!error.details.isEmpty())
        json.insert(u"details"_s, error.details);
    return json;
}

inline Error errorFromJson(const QJsonObject &json)
{
    if (json.isEmpty())
        return {};
    bool known = false;
    const int code = QMetaEnum::fromType<Error::Code>().keyToValue(json.value(u"code"_s).toString().toLatin1(), &known);
    return Error(known ? Error::Code(code) : Error::Code::UserDefined, json.value(u"message"_s).toString(),
                 json.value(u"details"_s).toString());
}

inline QDateTime timeFrom(const QVariant &value)
{
    if (value.isNull())
        return {};
    return QDateTime::fromMSecsSinceEpoch(value.toLongLong(), Qt::UTC);
}

inline QString isoTime(const QDateTime &time)
{
    return time.isValid() ? time.toUTC().toString(Qt::ISODateWithMs) : QString();
}

/// For a NOT NULL text column: Qt SQL binds a null QString as NULL.
inline QVariant notNull(const QString &text)
{
    return text.isNull() ? QVariant(QString(u""_s)) : QVariant(text);
}

inline QVariant nullable(const QString &text)
{
    return text.isEmpty() ? QVariant() : QVariant(text);
}


} // namespace Switchboard::JournalValues
