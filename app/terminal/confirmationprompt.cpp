#include "confirmationprompt.h"

#include "output.h"
#include "terminal.h"

#include <switchboard/compactjson.h>
#include <switchboard/pluginregistry.h>

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryFile>

#include <algorithm>

#include <unistd.h>

using namespace Qt::StringLiterals;

namespace Switchboard::Cli {

namespace {

// A string up to this long, on one line, is shown whole: a path or a name
// must be seen in full to be approved. Longer or multi-line text (a file's
// content) is shown as its size and first lines.
constexpr qsizetype maxInlineLength = 300;
constexpr int previewLines = 5;
constexpr int widthOffTerminal = 160;

/// `text` with the characters a terminal would act on (escape sequences,
/// carriage returns, ...) written as \uXXXX: the model wrote them.
QString visible(const QString &text)
{
    QString out;
    out.reserve(text.size());
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        if (u == u'\t')
            out += u"  "_s;
        else if (u < 0x20 || u == 0x7f || (u >= 0x80 && u < 0xa0) || u == 0x2028 || u == 0x2029)
            out += u"\\u"_s + QString::number(u, 16).rightJustified(4, u'0');
        else
            out += c;
    }
    return out;
}

/// `text` cut to `maxLength` characters ("…" marks the cut), its spaces kept
/// (a file's indentation means something; oneLine() would fold it).
QString cut(const QString &text, int maxLength)
{
    return text.size() > maxLength ? text.left(maxLength - 1) + u'…' : text;
}

/// "142 bytes, 9 lines".
QString sizeText(const QString &text)
{
    const qsizetype bytes = text.toUtf8().size();
    const qsizetype lines = text.count(u'\n') + (text.endsWith(u'\n') || text.isEmpty() ? 0 : 1);
    return QString::number(bytes) + (bytes == 1 ? u" byte, "_s : u" bytes, "_s) + QString::number(lines)
           + (lines == 1 ? u" line"_s : u" lines"_s);
}

bool showsWhole(const QString &text)
{
    return !text.contains(u'\n') && text.size() <= maxInlineLength;
}

/// A string shown on its own line: as it is, unless it would read as
/// something else (empty, spaces at its ends, control characters): then as JSON.
QString inlineString(const QString &text)
{
    if (text.isEmpty() || text.front().isSpace() || text.back().isSpace() || visible(text) != text)
        return QString::fromUtf8(jsonString(text));
    return text;
}

/// A value shown briefly, e.g. as the default of an argument being edited.
QString briefValue(const QJsonValue &value)
{
    if (value.isUndefined())
        return u"not set"_s;
    if (value.isString())
        return showsWhole(value.toString()) ? inlineString(value.toString()) : sizeText(value.toString());
    const QString json = compactJsonText(value);
    return json.size() <= maxInlineLength ? json : u"JSON of "_s + QString::number(json.size()) + u" characters"_s;
}

} // namespace

QString describeArguments(const QJsonObject &arguments, const QString &rawArguments, int columns)
{
    const int width = columns > 0 ? columns : widthOffTerminal;
    if (arguments.isEmpty()) {
        const QString raw = rawArguments.trimmed();
        if (raw.isEmpty() || raw == u"{}")
            return u"    (no arguments)\n"_s;
        return u"    (not a JSON object) "_s + cut(visible(raw), std::max(20, width - 27)) + u'\n';
    }
    qsizetype keyWidth = 0;
    for (auto it = arguments.constBegin(); it != arguments.constEnd(); ++it)
        keyWidth = std::max(keyWidth, visible(it.key()).size());
    const QString gutter = QString(4 + keyWidth + 2, u' ');
    QString values;     // the short ones first, one line each (a path, a name, a number)
    QString previews;   // then the texts to read, with their size and first lines
    for (auto it = arguments.constBegin(); it != arguments.constEnd(); ++it) {
        const QString key = u"    "_s + visible(it.key()).leftJustified(keyWidth) + u"  "_s;
        const QJsonValue value = it.value();
        if (!value.isString()) {
            const QString json = compactJsonText(value);
            values += key
                      + (json.size() <= maxInlineLength ? json
                                                        : json.left(maxInlineLength) + u"… ("_s
                                                              + QString::number(json.size()) + u" characters)"_s)
                      + u'\n';
            continue;
        }
        const QString string = value.toString();
        if (showsWhole(string)) {
            values += key + inlineString(string) + u'\n';
            continue;
        }
        previews += key + sizeText(string) + u":\n"_s;
        QStringList lines = string.split(u'\n');
        if (string.endsWith(u'\n'))
            lines.removeLast();
        const qsizetype shown = std::min<qsizetype>(previewLines, lines.size());
        for (qsizetype i = 0; i < shown; ++i) {
            const QString line = cut(visible(lines.at(i)), std::max<int>(20, width - int(gutter.size()) - 2));
            previews += gutter + u"│"_s + (line.isEmpty() ? QString() : u" "_s + line) + u'\n';
        }
        const qsizetype more = lines.size() - shown;
        if (more > 0)
            previews += gutter + u"… "_s + QString::number(more) + (more == 1 ? u" more line\n"_s : u" more lines\n"_s);
    }
    return values + previews;
}

ConfirmationPrompt::ConfirmationPrompt(Terminal *terminal, const PluginRegistry *registry, QObject *parent)
    : QObject(parent)
    , m_terminal(terminal)
    , m_registry(registry)
{
}

ConfirmationPrompt::~ConfirmationPrompt()
{
    if (m_editor) {
        m_editor->disconnect(this);
        m_editor->kill();
        m_editor->waitForFinished(1000);
    }
}

bool ConfirmationPrompt::canAsk()
{
    return isatty(STDIN_FILENO) == 1;
}

void ConfirmationPrompt::ask(const QString &stepId, const ConfirmationRequest &request)
{
    m_queue.append({stepId, request, request.arguments, {}});
    if (!m_notifier) {
        m_notifier = std::make_unique<QSocketNotifier>(STDIN_FILENO, QSocketNotifier::Read);
        connect(m_notifier.get(), &QSocketNotifier::activated, this, &ConfirmationPrompt::readInput);
    }
    if (m_queue.size() == 1) {
        m_state = State::Choice;
        promptCurrent();
        m_notifier->setEnabled(true);
    }
}

void ConfirmationPrompt::cancelAll()
{
    if (m_editor) {
        m_editor->disconnect(this);
        m_editor->terminate();
        m_editor.release()->deleteLater();
        m_terminal->setHeld(false);
    }
    if (!m_queue.isEmpty())
        m_terminal->endLine();
    m_queue.clear();
    if (m_notifier)
        m_notifier->setEnabled(false);
}

QString ConfirmationPrompt::toolName() const
{
    return m_queue.constFirst().request.call.name;
}

void ConfirmationPrompt::promptCurrent()
{
    const Question &question = m_queue.constFirst();
    const ConfirmationRequest &request = question.request;
    m_terminal->endLine();
    QString text = m_terminal->styled(u"? "_s, Terminal::Style::Yellow)
                   + m_terminal->styled(question.stepId, Terminal::Style::Bold) + u" wants to run "_s
                   + m_terminal->styled(request.call.name, Terminal::Style::Bold)
                   + (request.serverSide ? m_terminal->styled(u" (on the server)"_s, Terminal::Style::Dim) : QString())
                   + u'\n'
                   + describeArguments(request.arguments, request.call.arguments.toText(), m_terminal->columns());
    text += request.serverSide ? u"  Allow it? [y]es / [n]o › "_s : u"  Allow it? [y]es / [n]o / [e]dit arguments › "_s;
    m_terminal->write(text);
}

void ConfirmationPrompt::readInput()
{
    char chunk[4096];
    const ssize_t count = ::read(STDIN_FILENO, chunk, sizeof chunk);
    if (count <= 0) {
        // End of input: nobody is left to answer.
        m_notifier->setEnabled(false);
        const QList<Question> open = m_queue;
        m_queue.clear();
        m_terminal->write(u"\n"_s);
        for (const Question &question : open)
            Q_EMIT denied(question.stepId, question.request.call.toolCallId, u"no answer (end of input)"_s);
        return;
    }
    m_buffer.append(chunk, count);
    qsizetype newline;
    while (!m_queue.isEmpty() && m_state != State::Editor && (newline = m_buffer.indexOf('\n')) >= 0) {
        const QString line = QString::fromUtf8(m_buffer.left(newline)).trimmed();
        m_buffer.remove(0, newline + 1);
        answer(line);
    }
}

void ConfirmationPrompt::answer(const QString &line)
{
    m_terminal->lineEchoed();
    Question &question = m_queue.first();
    switch (m_state) {
    case State::Editor:
        return;
    case State::Json: {
        if (line.isEmpty()) {   // Enter keeps them
            finishEditing(question.draft);
            return;
        }
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(line.toUtf8(), &error);
        if (!document.isObject()) {
            const QString why = error.error != QJsonParseError::NoError ? error.errorString() : u"not an object"_s;
            m_terminal->write(m_terminal->styled(u"  not a JSON object ("_s + why + u"); try again › "_s,
                                                 Terminal::Style::Red));
            return;
        }
        finishEditing(document.object());
        return;
    }
    case State::Field: {
        const QString name = m_fields.at(m_field);
        if (!line.isEmpty()) {
            // A string argument takes the text as typed; others read it as JSON
            // (a number, true, a list), and as text when it is not JSON.
            const QJsonObject schema = [this, &name] {
                const Result<ToolInfo> tool = m_registry ? m_registry->findTool(toolName()) : Result<ToolInfo>(Error());
                return tool ? tool->metaData.parameters.value(u"properties"_s).toObject().value(name).toObject()
                            : QJsonObject();
            }();
            const bool isString = schema.value(u"type"_s).toString() == u"string"
                                  || (!schema.contains(u"type"_s) && m_edited.value(name).isString());
            QJsonValue value(line);
            if (!isString) {
                const QJsonDocument parsed = QJsonDocument::fromJson("[" + line.toUtf8() + "]");
                if (parsed.isArray() && parsed.array().size() == 1)
                    value = parsed.array().at(0);
            }
            m_edited.insert(name, value);
        }
        if (++m_field < m_fields.size()) {
            askField();
            return;
        }
        finishEditing(m_edited);
        return;
    }
    case State::Choice:
        break;
    }
    const QString callId = question.request.call.toolCallId;
    const QString choice = line.toLower();
    if (choice == u"y" || choice == u"yes") {
        const QString stepId = question.stepId;
        m_queue.removeFirst();
        Q_EMIT approved(stepId, callId, {});
        next();
    } else if (choice == u"n" || choice == u"no") {
        const QString stepId = question.stepId;
        m_queue.removeFirst();
        Q_EMIT denied(stepId, callId, u"denied by the user"_s);
        next();
    } else if ((choice == u"e" || choice == u"edit") && !question.request.serverSide) {
        startEditing();
    } else {
        m_terminal->write(question.request.serverSide ? u"  please answer y or n › "_s
                                                      : u"  please answer y, n or e › "_s);
    }
}

void ConfirmationPrompt::startEditing()
{
    const QString editor = !qEnvironmentVariableIsEmpty("VISUAL") ? qEnvironmentVariable("VISUAL")
                                                                 : qEnvironmentVariable("EDITOR");
    if (!editor.isEmpty()) {
        openEditor(editor);
        return;
    }
    // On the terminal: each argument the tool takes (its schema's order),
    // then any other the call has, its current value as the default.
    const Question &question = m_queue.constFirst();
    m_fields.clear();
    if (m_registry) {
        if (const Result<ToolInfo> tool = m_registry->findTool(toolName()))
            m_fields = tool->metaData.parameters.value(u"properties"_s).toObject().keys();
    }
    for (auto it = question.draft.constBegin(); it != question.draft.constEnd(); ++it) {
        if (!m_fields.contains(it.key()))
            m_fields << it.key();
    }
    m_edited = question.draft;
    if (m_fields.isEmpty()) {
        m_state = State::Json;
        m_terminal->write(u"  the arguments as a JSON object on one line (Enter keeps "_s + briefValue(question.draft)
                          + u") › "_s);
        return;
    }
    m_state = State::Field;
    m_field = 0;
    m_terminal->write(m_terminal->styled(u"  Enter keeps a value; what you type replaces it (set EDITOR to edit them "
                                         u"all as JSON)\n"_s,
                                         Terminal::Style::Dim));
    askField();
}

void ConfirmationPrompt::askField()
{
    const QString name = m_fields.at(m_field);
    m_terminal->write(u"    "_s + visible(name) + m_terminal->styled(u" ["_s + briefValue(m_edited.value(name)) + u"]"_s,
                                                                      Terminal::Style::Dim)
                      + u" › "_s);
}

void ConfirmationPrompt::openEditor(const QString &editor)
{
    Question &question = m_queue.first();
    m_editorFile = std::make_unique<QTemporaryFile>(QDir::tempPath() + u"/switchboard-arguments-XXXXXX.json"_s);
    if (!m_editorFile->open()) {
        m_terminal->write(m_terminal->styled(u"  cannot write a file to edit: "_s + m_editorFile->errorString(),
                                             Terminal::Style::Red)
                          + u'\n');
        m_state = State::Choice;
        promptCurrent();
        return;
    }
    if (question.editorText.isEmpty())
        question.editorText = QJsonDocument(question.draft).toJson(QJsonDocument::Indented);
    m_editorFile->write(question.editorText);
    m_editorFile->close();

    // The editor has the terminal: its keys are not answers, and the other
    // steps' output waits until it is done.
    m_state = State::Editor;
    m_notifier->setEnabled(false);
    m_terminal->setHeld(true);
    m_editor = std::make_unique<QProcess>();
    // Through the shell, as git runs it: EDITOR may carry arguments ("code --wait").
    m_editor->setProgram(u"/bin/sh"_s);
    m_editor->setArguments({u"-c"_s, editor + u" \"$1\""_s, u"sh"_s, m_editorFile->fileName()});
    m_editor->setInputChannelMode(QProcess::ForwardedInputChannel);
    m_editor->setProcessChannelMode(QProcess::ForwardedChannels);
    connect(m_editor.get(), &QProcess::finished, this, [this](int exitCode, QProcess::ExitStatus status) {
        editorFinished(status == QProcess::NormalExit ? exitCode : -1);
    });
    connect(m_editor.get(), &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            editorFinished(-1);
    });
    m_editor->start();
}

void ConfirmationPrompt::editorFinished(int exitCode)
{
    m_editor.release()->deleteLater();
    m_terminal->setHeld(false);
    m_buffer.clear();   // keys typed for the editor are not answers
    m_notifier->setEnabled(true);
    Question &question = m_queue.first();
    QFile file(m_editorFile->fileName());
    const QByteArray text = file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    m_editorFile.reset();
    m_state = State::Choice;
    if (exitCode != 0) {
        m_terminal->write(m_terminal->styled(u"  the editor exited with status "_s + QString::number(exitCode)
                                                 + u"; nothing was changed"_s,
                                             Terminal::Style::Red)
                          + u'\n');
        promptCurrent();
        return;
    }
    if (text == question.editorText) {
        m_terminal->write(m_terminal->styled(u"  the arguments were not changed\n"_s, Terminal::Style::Dim));
        promptCurrent();
        return;
    }
    question.editorText = text;   // an invalid edit is where the next one starts
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(text, &error);
    if (!document.isObject()) {
        const QString why = error.error != QJsonParseError::NoError
                                ? error.errorString() + u" at byte "_s + QString::number(error.offset)
                                : u"not an object"_s;
        m_terminal->write(m_terminal->styled(u"  ✗ the edited arguments are not a JSON object ("_s + why
                                                 + u"); [e]dit again to fix them"_s,
                                             Terminal::Style::Red)
                          + u'\n');
        promptCurrent();
        return;
    }
    finishEditing(document.object());
}

void ConfirmationPrompt::finishEditing(const QJsonObject &edited)
{
    Question &question = m_queue.first();
    m_state = State::Choice;
    QJsonObject checked = edited;
    if (m_registry) {
        // As the tool will check them: a wrong type is refused now, not after approval.
        const Result<QJsonObject> result = m_registry->checkArguments(toolName(), edited);
        if (!result && result.error().code == Error::Code::ToolInvalidArguments) {
            question.draft = edited;
            if (question.editorText.isEmpty() || QJsonDocument::fromJson(question.editorText).object() != edited)
                question.editorText = QJsonDocument(edited).toJson(QJsonDocument::Indented);
            m_terminal->write(m_terminal->styled(u"  ✗ "_s + result.error().message, Terminal::Style::Red)
                              + u"\n  The call waits as the model asked: [y]es / [n]o / [e]dit again › "_s);
            return;
        }
        if (result)
            checked = *result;
    }
    const QString stepId = question.stepId;
    const QString callId = question.request.call.toolCallId;
    const bool changed = checked != question.request.arguments;
    m_queue.removeFirst();
    Q_EMIT approved(stepId, callId, changed ? checked : QJsonObject());
    next();
}

void ConfirmationPrompt::next()
{
    m_state = State::Choice;
    if (m_queue.isEmpty()) {
        m_notifier->setEnabled(false);
        return;
    }
    promptCurrent();
}

} // namespace Switchboard::Cli
