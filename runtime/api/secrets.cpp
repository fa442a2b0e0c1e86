#include <switchboard/secrets.h>
#include <switchboard/tools.h>

#include <switchboard/compactjson.h>

#include <QByteArrayMatcher>
#include <QJsonArray>
#include <QJsonDocument>

namespace Switchboard {

void Secrets::add(const QString &value)
{
    const QByteArray bytes = value.toUtf8();
    if (bytes.size() < MinimumLength || bytes.contains('\n') || bytes.contains('\r'))
        return;
    // As it is, and as it reads inside a JSON string (quotes, backslashes and
    // control characters escaped) when that differs.
    const QByteArray quoted = compactJson(value);
    const QByteArray escaped = quoted.mid(1, quoted.size() - 2);
    for (const QByteArray &form : {bytes, escaped}) {
        if (!m_values.contains(form))
            m_values.append(form);
    }
    // The longest first: a secret that contains another is replaced whole.
    std::sort(m_values.begin(), m_values.end(),
              [](const QByteArray &a, const QByteArray &b) { return a.size() > b.size(); });
}

void Secrets::add(const Secrets &other)
{
    for (const QByteArray &value : other.m_values) {
        if (!m_values.contains(value))
            m_values.append(value);
    }
    std::sort(m_values.begin(), m_values.end(),
              [](const QByteArray &a, const QByteArray &b) { return a.size() > b.size(); });
}

void Secrets::addCredentials(const QList<Tool> &tools)
{
    for (const Tool &tool : tools) {
        if (const ConnectorTool *connector = tool.as<ConnectorTool>(); connector && connector->authorization)
            add(connector->authorization->value);
    }
}

QByteArray Secrets::scrub(QByteArrayView text) const
{
    QByteArray result = text.toByteArray();
    for (const QByteArray &value : m_values) {
        const QByteArrayMatcher matcher(value);
        qsizetype from = matcher.indexIn(result);
        if (from < 0)
            continue;
        QByteArray replaced;
        replaced.reserve(result.size());
        qsizetype done = 0;
        while (from >= 0) {
            replaced.append(result.constData() + done, from - done);
            replaced.append(placeholder());
            done = from + value.size();
            from = matcher.indexIn(result, done);
        }
        replaced.append(result.constData() + done, result.size() - done);
        result = std::move(replaced);
    }
    return result;
}

QString Secrets::scrub(const QString &text) const
{
    if (m_values.isEmpty() || text.isEmpty())
        return text;
    const QByteArray utf8 = text.toUtf8();
    const QByteArray scrubbed = scrub(QByteArrayView(utf8));
    return scrubbed.size() == utf8.size() && scrubbed == utf8 ? text : QString::fromUtf8(scrubbed);
}

void Secrets::scrub(Error &error) const
{
    if (m_values.isEmpty())
        return;
    error.message = scrub(error.message);
    error.details = scrub(error.details);
    if (!error.body.isEmpty())
        error.body = scrub(QByteArrayView(error.body));
    for (auto &[name, value] : error.httpHeaders) {
        name = scrub(QByteArrayView(name));
        value = scrub(QByteArrayView(value));
    }
    for (Error::ValidationDetail &detail : error.validationErrors) {
        detail.location = scrub(detail.location);
        detail.message = scrub(detail.message);
        detail.type = scrub(detail.type);
    }
    if (!error.guardrails.isUndefined() && !error.guardrails.isNull()) {
        const QByteArray json = compactJson(error.guardrails);
        const QByteArray scrubbed = scrub(QByteArrayView(json));
        if (scrubbed != json) {
            const QJsonDocument clean = QJsonDocument::fromJson(scrubbed);
            error.guardrails = clean.isArray() ? QJsonValue(clean.array()) : QJsonValue(clean.object());
        }
    }
    if (error.location)
        error.location->file = scrub(error.location->file);
}

qsizetype Secrets::partialLengthAtEnd(QByteArrayView text) const
{
    qsizetype longest = 0;
    for (const QByteArray &value : m_values) {
        for (qsizetype length = std::min(value.size() - 1, text.size()); length > longest; --length) {
            if (text.last(length) == QByteArrayView(value).first(length)) {
                longest = length;
                break;
            }
        }
    }
    return longest;
}

} // namespace Switchboard
