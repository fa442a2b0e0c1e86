// Switchboard::Emulator: its settings (script, agents, API key, record file)
// and its server. README.md ("Source files") says where the rest is.

#include "core/yamlreader_p.h"
#include "emulator_p.h"

#include <QLoggingCategory>

using namespace Qt::StringLiterals;

namespace Switchboard {

using namespace EmulatorInternal;

namespace {
// The emulator's HTTP server logs under the emulator's name.
Q_LOGGING_CATEGORY(lcEmulatorHttp, "switchboard.emulator.http", QtInfoMsg)
} // namespace

EmulatorPrivate::EmulatorPrivate(Emulator *qq)
    : q(qq)
    , script(Script::defaultScript())
{
    server.setHandler([this](const HttpRequest &request, HttpResponder *responder) { handle(request, responder); });
    server.setLoggingCategory(&lcEmulatorHttp);
}

// --- Emulator -------------------------------------------------------------------

Emulator::Emulator(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<EmulatorPrivate>(this))
{
    const QString record = qEnvironmentVariable("SWITCHBOARD_EMULATOR_RECORD");
    if (!record.isEmpty()) {
        if (Result<void> opened = setRecordFile(record); !opened)
            qWarning("switchboard emulator: %s", qPrintable(opened.error().toString()));
    }
}

Emulator::~Emulator() = default;

Result<void> Emulator::loadScript(const QString &path)
{
    const Result<QByteArray> yaml = YamlReader::readFile(path, d->scriptLimits.maxFileSize, Error::Code::YamlSyntax);
    if (!yaml)
        return Error(yaml.error().code, u"cannot read the script %1: %2"_s.arg(path, yaml.error().message));
    return setScript(*yaml, path);
}

Result<void> Emulator::setScript(const QByteArray &yaml, const QString &fileName)
{
    Result<Script> script = Script::parse(yaml, fileName, d->extraAgents, d->scriptLimits);
    if (!script)
        return script.error();
    d->script = std::move(script).value();
    d->ruleAttempts.clear();
    return {};
}

Result<void> Emulator::loadAgents(const QString &path)
{
    const Result<QByteArray> yaml = YamlReader::readFile(path, d->scriptLimits.maxFileSize, Error::Code::YamlSyntax);
    if (!yaml)
        return Error(yaml.error().code, u"cannot read the agents file %1: %2"_s.arg(path, yaml.error().message));
    Result<Script> parsed = Script::parse(*yaml, path, d->script.agents, d->scriptLimits);
    if (!parsed)
        return parsed.error();
    if (!parsed->rules.isEmpty())
        return Error(Error::Code::UnknownKey, u"%1: an agents file holds only 'agents'"_s.arg(path));
    const QList<ScriptAgent> added = parsed->agents.mid(d->script.agents.size());
    d->extraAgents.append(added);
    d->script.agents.append(added);
    return {};
}

void Emulator::setScriptLimits(const YamlLimits &limits)
{
    d->scriptLimits = limits;
}

YamlLimits Emulator::scriptLimits() const
{
    return d->scriptLimits;
}

void Emulator::setApiKey(const QString &apiKey)
{
    d->apiKey = apiKey;
}

Result<void> Emulator::setRecordFile(const QString &path)
{
    d->record.reset();
    if (path.isEmpty())
        return {};
    auto file = std::make_unique<QFile>(path);
    if (!file->open(QIODevice::WriteOnly | QIODevice::Append))
        return Error(Error::Code::NetworkError, u"cannot open the record file %1: %2"_s.arg(path, file->errorString()));
    d->record = std::move(file);
    return {};
}

Result<quint16> Emulator::listen(quint16 port)
{
    if (!d->server.listen(port))
        return Error(Error::Code::NetworkError,
                     u"cannot listen on 127.0.0.1:%1: %2"_s.arg(port).arg(d->server.errorString()));
    return d->server.port();
}

void Emulator::close()
{
    d->server.close();
}

bool Emulator::isListening() const
{
    return d->server.port() != 0;
}

quint16 Emulator::port() const
{
    return d->server.port();
}

QUrl Emulator::url() const
{
    return QUrl(u"http://127.0.0.1:%1"_s.arg(d->server.port()));
}

int Emulator::conversationCount() const
{
    return static_cast<int>(d->conversations.size());
}

int Emulator::connectionCount() const
{
    return d->server.connectionCount();
}

} // namespace Switchboard
