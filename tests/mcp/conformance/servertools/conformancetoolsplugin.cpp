#include "conformancetoolsplugin.h"

#include <switchboard/toolcontent.h>

#include <QTimer>

using namespace Qt::Literals::StringLiterals;
using namespace Switchboard;

namespace {

// A 1x1 red pixel, as the scenarios suggest.
QByteArray redPixelPng()
{
    return QByteArray::fromBase64("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC");
}

// A WAV file of 8 silent samples: 8 kHz, mono, 8 bits.
QByteArray silentWav()
{
    auto little = [](quint32 value, int size) {
        QByteArray bytes;
        for (int i = 0; i < size; ++i)
            bytes += char((value >> (8 * i)) & 0xff);
        return bytes;
    };
    auto le32 = [&little](quint32 value) { return little(value, 4); };
    auto le16 = [&little](quint32 value) { return little(value, 2); };
    const QByteArray samples(8, char(0x80));
    return "RIFF" + le32(36 + samples.size()) + "WAVE" + "fmt " + le32(16) + le16(1) + le16(1) + le32(8000) + le32(8000)
         + le16(1) + le16(8) + "data" + le32(samples.size()) + samples;
}

// 0/100, 50/100 and 100/100, 50 ms apart, then the answer.
ToolInvocation *withProgress(QObject *parent)
{
    auto *invocation = new PendingToolInvocation(parent);
    invocation->reportProgress({0, 100, QString()});
    auto *timer = new QTimer(invocation);
    timer->setInterval(50);
    QObject::connect(timer, &QTimer::timeout, invocation, [invocation, timer, step = 0]() mutable {
        ++step;
        invocation->reportProgress({step * 50.0, 100, QString()});
        if (step == 2) {
            timer->stop();
            invocation->emitResult(u"Progress tool finished."_s);
        }
    });
    timer->start();
    return invocation;
}

} // namespace

QStringList ConformanceToolsPlugin::toolNames() const
{
    return {u"test_simple_text"_s,     u"test_error_handling"_s,         u"json_schema_2020_12_tool"_s,
            u"test_image_content"_s,   u"test_audio_content"_s,          u"test_embedded_resource"_s,
            u"test_multiple_content_types"_s, u"test_tool_with_progress"_s, u"test_reconnection"_s};
}

ToolInvocation *ConformanceToolsPlugin::invoke(const ToolCall &call, QObject *parent)
{
    if (call.toolName == u"test_reconnection") {
        // Answers after the server has closed its stream (server-sse-polling
        // is served with --close-streams-after 1): the client resumes it, and has
        // the answer before the server closes the resumed stream in its turn.
        auto *invocation = new PendingToolInvocation(parent);
        QTimer::singleShot(1500, invocation, [invocation] {
            invocation->emitResult(u"Reconnection test completed successfully"_s);
        });
        return invocation;
    }
    if (call.toolName == u"test_simple_text")
        return ToolInvocation::fromOutcome(QJsonValue(u"This is a simple text response for testing."_s), parent);
    if (call.toolName == u"test_error_handling")
        return ToolInvocation::fromOutcome(
            Error(Error::Code::ToolFailed, u"This tool intentionally returns an error for testing"_s), parent);
    if (call.toolName == u"test_image_content")
        return ToolInvocation::fromOutcome(ToolContent::result({ToolContent::image(redPixelPng(), u"image/png"_s)}), parent);
    if (call.toolName == u"test_audio_content")
        return ToolInvocation::fromOutcome(ToolContent::result({ToolContent::audio(silentWav(), u"audio/wav"_s)}), parent);
    if (call.toolName == u"test_embedded_resource") {
        return ToolInvocation::fromOutcome(
            ToolContent::result({ToolContent::textResource(u"test://embedded-resource"_s, u"text/plain"_s,
                                                           u"This is an embedded resource content."_s)}),
            parent);
    }
    if (call.toolName == u"test_multiple_content_types") {
        return ToolInvocation::fromOutcome(
            ToolContent::result({ToolContent::text(u"Multiple content types test:"_s),
                                 ToolContent::image(redPixelPng(), u"image/png"_s),
                                 ToolContent::textResource(u"test://mixed-content-resource"_s, u"application/json"_s,
                                                           u"{\"test\":\"data\",\"value\":123}"_s)}),
            parent);
    }
    if (call.toolName == u"test_tool_with_progress")
        return withProgress(parent);
    return ToolInvocation::fromOutcome(QJsonValue(call.arguments), parent);
}
