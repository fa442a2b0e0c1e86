#pragma once

// What the journal suites share: a workflow of tests/data/journal on the
// emulator, with the sideeffects plugin (whose tools leave a line per
// execution in a log file) and a journal in a temporary directory; and what
// the emulator received, per tool_call_id.

#include <switchboard/emulator/emulator.h>
#include <switchboard/pluginregistry.h>
#include <switchboard/runjournal.h>
#include <switchboard/workflowrun.h>

#include "emulatorfixture.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>

#include <memory>

namespace Switchboard::Test {

inline const QString JournalDataDir = QStringLiteral(SWITCHBOARD_TEST_DATA_DIR "/journal/");

/// Reads one value with a connection of its own, as another program would.
inline QVariant inspectJournal(const QString &path, const QString &sql)
{
    QVariant value;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("inspect"));
        db.setDatabaseName(path);
        if (db.open()) {
            QSqlQuery query(db);
            if (query.exec(sql) && query.next())
                value = query.value(0);
        }
    }
    QSqlDatabase::removeDatabase(QStringLiteral("inspect"));
    return value;
}

/// The function.result entries the emulator received, per tool_call_id,
/// from the request bodies as they arrived.
class ResultsReceived
{
public:
    explicit ResultsReceived(Emulator *emulator)
    {
        QObject::connect(emulator, &Emulator::requestReceived, emulator,
                         [this](const QString &, const QString &, const QByteArray &body) {
                             const QJsonValue inputs = QJsonDocument::fromJson(body).object().value(u"inputs");
                             for (const QJsonValue &input : inputs.toArray()) {
                                 const QJsonObject entry = input.toObject();
                                 if (entry.value(u"type").toString() == u"function.result")
                                     m_results[entry.value(u"tool_call_id").toString()]
                                         << entry.value(u"result").toString();
                             }
                         });
    }
    /// Every result, by call.
    QMap<QString, QStringList> results() const { return m_results; }
    /// The calls that got more than one result.
    QStringList twice() const
    {
        QStringList calls;
        for (auto it = m_results.cbegin(); it != m_results.cend(); ++it) {
            if (it.value().size() > 1)
                calls << it.key();
        }
        return calls;
    }

private:
    QMap<QString, QStringList> m_results;
};

struct JournalFixture
{
    explicit JournalFixture(const QString &workflowFile)
        : emulator(QByteArray("version: 1\n"), QStringLiteral(SIDEEFFECTS_PLUGIN_DIR))
        , received(&emulator.emulator)
    {
        logPath = dir.filePath(QStringLiteral("executions.log"));
        WorkflowLoader loader(&emulator.registry);
        const Result<Workflow> loaded =
            loader.load(QDir::isAbsolutePath(workflowFile) ? workflowFile : JournalDataDir + workflowFile);
        if (!loaded)
            qFatal("bad test workflow: %s", qPrintable(loaded.error().toString()));
        workflow = *loaded;
        // As the workflows' plugin_isolation: says (the program applies it).
        emulator.registry.setIsolation(QStringLiteral("sideeffects"), PluginRegistry::Isolation::InProcess);
        if (const Result<void> script = emulator.emulator.loadScript(workflow.emulatorScript); !script)
            qFatal("bad test script: %s", qPrintable(script.error().toString()));
        journal = std::make_unique<RunJournal>();
        if (const Result<void> opened = journal->open(dir.filePath(QStringLiteral("journal.db"))); !opened)
            qFatal("journal: %s", qPrintable(opened.error().toString()));
    }

    std::unique_ptr<WorkflowRun> makeRun()
    {
        auto run = std::make_unique<WorkflowRun>(workflow, &emulator.client, &emulator.registry);
        run->setInputs(QJsonObject{{QStringLiteral("log"), logPath}, {QStringLiteral("topic"), QStringLiteral("rivers")}});
        run->setJournal(journal.get());
        if (deferConfirmations)
            run->setConfirmations(RunPolicy::Confirmations::Defer);
        return run;
    }

    std::unique_ptr<WorkflowRun> resumeRun(const QString &runId, const ResumeOptions &options = {})
    {
        auto run = std::make_unique<WorkflowRun>(workflow, &emulator.client, &emulator.registry);
        run->resumeFrom(journal.get(), runId, options);
        if (deferConfirmations)
            run->setConfirmations(RunPolicy::Confirmations::Defer);
        return run;
    }

    /// The runs wait for confirmations (as with --defer-confirmations).
    bool deferConfirmations = false;

    /// As a new program would find it: another connection, no lock held here.
    void reopenJournal()
    {
        const QString path = journal->path();
        journal = std::make_unique<RunJournal>();
        if (const Result<void> opened = journal->open(path); !opened)
            qFatal("journal: %s", qPrintable(opened.error().toString()));
    }

    /// "<tool> <key>" per execution, in order.
    QStringList executions() const
    {
        QFile file(logPath);
        if (!file.open(QIODevice::ReadOnly))
            return {};
        QStringList lines;
        for (const QString &line : QString::fromUtf8(file.readAll()).split(u'\n', Qt::SkipEmptyParts))
            lines << line.section(u' ', 1);   // without the tool_call_id
        return lines;
    }

    QTemporaryDir dir;
    EmulatorFixture emulator;
    ResultsReceived received;
    Workflow workflow;
    std::unique_ptr<RunJournal> journal;
    QString logPath;
};

} // namespace Switchboard::Test
