#pragma once

//
//  W A R N I N G
//  -------------
// This file is not part of the Switchboard API. It may change without notice.
//

#include "core/httpserver_p.h"
#include "script_p.h"
#include "storedconversation_p.h"

#include <switchboard/emulator/emulator.h>

#include <QFile>
#include <QHash>

#include <memory>

namespace Switchboard::EmulatorInternal {
// The emulator answers on the runtime's HTTP server.
using Http::HttpHeaders;
using Http::HttpRequest;
using Http::HttpResponder;
} // namespace Switchboard::EmulatorInternal

namespace Switchboard {

class EmulatorPrivate
{
public:
    explicit EmulatorPrivate(Emulator *q);

    /// Answers a request (routing.cpp).
    void handle(const Http::HttpRequest &request, Http::HttpResponder *responder);

    Emulator *q;
    Http::HttpServer server;
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
