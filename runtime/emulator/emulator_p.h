#pragma once

//
//  W A R N I N G
//  -------------
// This file is not part of the Switchboard API. It may change without notice.
//

#include "httpserver_p.h"
#include "script_p.h"
#include "storedconversation_p.h"

#include <switchboard/emulator/emulator.h>

#include <QFile>
#include <QHash>

#include <memory>

namespace Switchboard {

class EmulatorPrivate
{
public:
    explicit EmulatorPrivate(Emulator *q);

    /// Answers a request (routing.cpp).
    void handle(const EmulatorInternal::HttpRequest &request, EmulatorInternal::HttpResponder *responder);

    Emulator *q;
    EmulatorInternal::HttpServer server;
    EmulatorInternal::Script script;
    QList<EmulatorInternal::ScriptAgent> extraAgents; ///< from loadAgents(), kept across scripts
    YamlLimits scriptLimits;
    QString apiKey;
    std::unique_ptr<QFile> record;
    QHash<QString, EmulatorInternal::StoredConversation> conversations;
    qint64 sequence = 0;
    QHash<int, int> ruleAttempts;                   ///< rule index → requests it matched
};

} // namespace Switchboard
