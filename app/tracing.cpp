#include "tracing.h"

#include <QCoreApplication>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

Result<std::unique_ptr<Telemetry>> makeRunTelemetry(const QString &traceFile)
{
    TelemetryOptions options = TelemetryOptions::fromEnvironment();
    if (!traceFile.isEmpty())
        options.traceFile = traceFile;
    if (!options.isEnabled())
        return std::unique_ptr<Telemetry>();
    if (options.serviceName.isEmpty())
        options.serviceName = u"switchboard"_s;
    auto telemetry = std::make_unique<Telemetry>(options);
    if (telemetry->error().isError())
        return telemetry->error();
    return telemetry;
}

void finishTelemetry(Telemetry *telemetry)
{
    if (!telemetry)
        return;
    QObject::connect(telemetry, &Telemetry::flushed, QCoreApplication::instance(), &QCoreApplication::quit);
    telemetry->flush();
    QCoreApplication::exec();
}

} // namespace Switchboard::Cli
