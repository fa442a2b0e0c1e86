#include "initfailplugin.h"

#include <stdexcept>

using namespace Qt::StringLiterals;

// Fails without {"ok": true}; throws with {"throw": true}.
Switchboard::Result<void> InitFailPlugin::initialize(const Switchboard::PluginContext &context)
{
    if (context.configuration.value(u"throw"_s).toBool())
        throw std::runtime_error("initialize exploded");
    if (!context.configuration.value(u"ok"_s).toBool())
        return Switchboard::Error(Switchboard::Error::Code::PluginError, u"configuration key \"ok\" must be true"_s);
    return {};
}
