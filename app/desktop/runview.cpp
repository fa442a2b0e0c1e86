#include "runview.h"
#include "output.h"

#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QScrollBar>
#include <QVBoxLayout>

using namespace Qt::Literals::StringLiterals;

namespace Switchboard::Desktop {

namespace {

const QString FailedColour = u"#b00020"_s;
const QString QuietColour = u"#6b6b6b"_s;

QLabel *wrappingLabel(QWidget *parent, const QString &objectName)
{
    auto *label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setWordWrap(true);
    label->setTextFormat(Qt::PlainText);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    return label;
}

// A label shown only when it has something to say.
void setShown(QLabel *label, const QString &text)
{
    label->setText(text);
    label->setVisible(!text.isEmpty());
}

void setColour(QLabel *label, const QString &colour)
{
    label->setStyleSheet(colour.isEmpty() ? QString() : u"color: "_s + colour);
}

} // namespace

/// One row of the model: a message, a tool card, a handoff. Its labels are
/// set from the row's roles each time the row changes.
class EntryWidget : public QFrame
{
public:
    EntryWidget(const QString &type, QWidget *parent)
        : QFrame(parent)
        , m_type(type)
    {
        const bool card = type == u"function.call" || type == u"tool.execution" || type == u"function.result";
        setObjectName(card                             ? u"toolCall"_s
                      : type == u"message.input"       ? u"userMessage"_s
                      : type == u"message.output"      ? u"assistantMessage"_s
                                                       : u"note"_s);
        auto *layout = new QVBoxLayout(this);
        layout->setContentsMargins(10, 6, 10, 8);
        layout->setSpacing(4);
        auto *heading = new QHBoxLayout;
        m_title = wrappingLabel(this, u"title"_s);
        QFont bold = m_title->font();
        bold.setBold(true);
        m_title->setFont(bold);
        m_state = wrappingLabel(this, u"state"_s);
        m_state->setAlignment(Qt::AlignRight | Qt::AlignTop);
        heading->addWidget(m_title, 1);
        heading->addWidget(m_state);
        layout->addLayout(heading);

        const QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);
        m_body = wrappingLabel(this, u"text"_s);
        if (type == u"message.output") {
            m_body->setTextFormat(Qt::MarkdownText);
            m_body->setTextInteractionFlags(Qt::TextBrowserInteraction);
            m_body->setOpenExternalLinks(true);
        }
        layout->addWidget(m_body);
        m_argumentsCaption = wrappingLabel(this, u"caption"_s);
        m_arguments = wrappingLabel(this, u"arguments"_s);
        m_arguments->setFont(fixed);
        m_originalCaption = wrappingLabel(this, u"caption"_s);
        m_original = wrappingLabel(this, u"originalArguments"_s);
        m_original->setFont(fixed);
        m_resultCaption = wrappingLabel(this, u"caption"_s);
        m_result = wrappingLabel(this, u"result"_s);
        m_result->setFont(fixed);
        for (QLabel *caption : {m_argumentsCaption, m_originalCaption, m_resultCaption})
            setColour(caption, QuietColour);
        for (QLabel *label : {m_argumentsCaption, m_arguments, m_originalCaption, m_original, m_resultCaption, m_result}) {
            label->hide();
            layout->addWidget(label);
        }
    }

    void update(const QModelIndex &index)
    {
        const auto role = [&index](ConversationModel::Role r) { return index.data(r).toString(); };
        const QString status = role(ConversationModel::StatusRole);
        const QString agent = role(ConversationModel::AgentRole);
        const QString text = role(ConversationModel::TextRole);
        const QString tool = role(ConversationModel::ToolNameRole);
        QString state;
        QString stateColour = QuietColour;
        if (m_type == u"message.input") {
            m_title->setText(tr("You"));
            setShown(m_body, text);
        } else if (m_type == u"message.output") {
            m_title->setText(agent.isEmpty() ? tr("Assistant") : agent);
            state = status == u"streaming" ? tr("writing…") : status == u"interrupted" ? tr("interrupted") : QString();
            if (status == u"interrupted")
                stateColour = FailedColour;
            setShown(m_body, text);
        } else if (m_type == u"agent.handoff") {
            m_title->setText(status == u"done" ? tr("%1 handed the conversation to %2").arg(agent, text)
                                               : tr("%1 hands the conversation to %2").arg(agent, text));
            m_body->hide();
        } else {
            m_title->setText(m_type == u"tool.execution"    ? tr("Server tool: %1").arg(tool)
                             : m_type == u"function.result" ? tr("Tool result: %1").arg(tool)
                                                            : tr("Tool call: %1").arg(tool));
            m_body->hide();
            const QString error = role(ConversationModel::ErrorRole);
            const qint64 duration = index.data(ConversationModel::DurationRole).toLongLong();
            if (status == u"streaming")
                state = tr("being written…");
            else if (status == u"pending")
                state = tr("waiting");
            else if (status == u"awaiting_confirmation")
                state = tr("waiting for your approval"), stateColour = QString();
            else if (status == u"running")
                state = tr("running…");
            else if (status == u"done")
                state = duration >= 0 && m_type == u"function.call" ? tr("done in %1 ms").arg(duration) : tr("done");
            else if (status == u"failed")
                state = error.isEmpty() ? tr("failed") : tr("failed: %1").arg(error), stateColour = FailedColour;
            else if (status == u"denied")
                state = tr("denied");
            else if (status == u"confirmed")
                state = tr("approved");
            else if (status == u"canceled")
                state = tr("canceled");
            else
                state = status;
            const QString arguments = Cli::displayJsonText(role(ConversationModel::ArgumentsRole));
            const QString original = Cli::displayJsonText(role(ConversationModel::OriginalArgumentsRole));
            const QString result = Cli::displayJsonText(role(ConversationModel::ResultRole));
            setShown(m_argumentsCaption, arguments.isEmpty() ? QString()
                                         : original.isEmpty() ? tr("Arguments")
                                                              : tr("Arguments (changed by you)"));
            setShown(m_arguments, arguments);
            setShown(m_originalCaption, original.isEmpty() ? QString() : tr("The model's arguments"));
            setShown(m_original, original);
            setShown(m_resultCaption, result.isEmpty() ? QString()
                                      : status == u"denied" ? tr("The model was told")
                                                            : tr("Result"));
            setShown(m_result, result);
        }
        setShown(m_state, state);
        setColour(m_state, stateColour);
    }

private:
    QString m_type;
    QLabel *m_title;
    QLabel *m_state;
    QLabel *m_body;
    QLabel *m_argumentsCaption;
    QLabel *m_arguments;
    QLabel *m_originalCaption;
    QLabel *m_original;
    QLabel *m_resultCaption;
    QLabel *m_result;
};

RunView::RunView(QWidget *parent)
    : QScrollArea(parent)
    , m_content(new QWidget)
    , m_layout(new QVBoxLayout(m_content))
{
    setObjectName(u"conversation"_s);
    m_content->setObjectName(u"entries"_s);
    m_layout->addStretch(1);
    setWidget(m_content);
    setWidgetResizable(true);
    // Text re-wraps to the width instead of scrolling sideways.
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setStyleSheet(u"QFrame#step { border-top: 1px solid #d0d0d0; }"
                  "QFrame#userMessage { background: #eaf1fb; border-radius: 6px; }"
                  "QFrame#toolCall { background: #faf7ef; border: 1px solid #d9cfb5; border-radius: 6px; }"_s);

    // Follow the run as it grows, unless the reader scrolled up.
    connect(verticalScrollBar(), &QScrollBar::rangeChanged, this, [this](int, int maximum) {
        if (m_following)
            verticalScrollBar()->setValue(maximum);
    });
    connect(verticalScrollBar(), &QScrollBar::valueChanged, this,
            [this](int value) { m_following = value >= verticalScrollBar()->maximum(); });
}

RunView::~RunView() = default;

void RunView::setModel(ConversationModel *model)
{
    if (m_model)
        disconnect(m_model, nullptr, this, nullptr);
    m_model = model;
    if (model) {
        connect(model, &QAbstractItemModel::rowsInserted, this,
                [this](const QModelIndex &, int first, int last) { addRows(first, last); });
        connect(model, &QAbstractItemModel::dataChanged, this,
                [this](const QModelIndex &topLeft, const QModelIndex &bottomRight) {
                    updateRows(topLeft.row(), bottomRight.row());
                });
        connect(model, &QAbstractItemModel::modelReset, this, &RunView::reset);
    }
    reset();
}

void RunView::setWorkflowRun(WorkflowRun *run)
{
    if (m_run)
        disconnect(m_run, nullptr, this, nullptr);
    m_run = run;
    reset();
    if (!run)
        return;
    connect(run, &WorkflowRun::stepStarted, this,
            [this](const QString &stepId) { setStepState(stepId, tr("Running…"), QString()); });
    connect(run, &WorkflowRun::stepFinished, this, [this](const QString &stepId, const StepResult &result) {
        switch (result.status) {
        case StepResult::Status::Succeeded:
            setStepState(stepId, tr("Done"), QString());
            break;
        case StepResult::Status::Failed:
            setStepState(stepId, tr("Failed: %1").arg(result.error.message), FailedColour);
            break;
        case StepResult::Status::Canceled:
            setStepState(stepId, tr("Canceled"), QuietColour);
            break;
        default:
            setStepState(stepId, StepResult::statusName(result.status), QuietColour);
            break;
        }
    });
    connect(run, &WorkflowRun::stepSkipped, this, [this](const QString &stepId, const QString &reason) {
        setStepState(stepId, tr("Skipped: %1").arg(reason), QuietColour);
    });
}

QString RunView::stepState(const QString &stepId) const
{
    const auto it = m_sections.constFind(stepId);
    return it == m_sections.constEnd() ? QString() : it->state->text();
}

void RunView::reset()
{
    qDeleteAll(m_entries);
    m_entries.clear();
    for (const Section &section : std::as_const(m_sections))
        delete section.frame;
    m_sections.clear();
    m_following = true;
    if (m_model && m_model->rowCount() > 0)
        addRows(0, m_model->rowCount() - 1);
}

void RunView::addRows(int first, int last)
{
    for (int row = first; row <= last; ++row) {
        const QModelIndex index = m_model->index(row, 0);
        const QString stepId = index.data(ConversationModel::StepRole).toString();
        QWidget *parent = stepId.isEmpty() ? m_content : section(stepId).frame;
        auto *entry = new EntryWidget(index.data(ConversationModel::TypeRole).toString(), parent);
        if (stepId.isEmpty())
            m_layout->insertWidget(m_layout->count() - 1, entry);
        else
            section(stepId).entries->addWidget(entry);
        m_entries.insert(row, entry);
        entry->update(index);
        // At once, not when the layout gets round to it: what the model has, the view shows.
        entry->show();
    }
}

void RunView::updateRows(int first, int last)
{
    for (int row = first; row <= last && row < m_entries.size(); ++row)
        m_entries.at(row)->update(m_model->index(row, 0));
}

RunView::Section &RunView::section(const QString &stepId)
{
    auto it = m_sections.find(stepId);
    if (it != m_sections.end())
        return *it;
    Section section;
    section.frame = new QFrame(m_content);
    section.frame->setObjectName(u"step"_s);
    section.frame->setProperty("stepId", stepId);
    auto *layout = new QVBoxLayout(section.frame);
    layout->setContentsMargins(0, 8, 0, 4);
    auto *heading = new QHBoxLayout;
    auto *title = wrappingLabel(section.frame, u"stepTitle"_s);
    title->setText(tr("Step %1").arg(stepId));
    QFont font = title->font();
    font.setBold(true);
    font.setPointSizeF(font.pointSizeF() * 1.15);
    title->setFont(font);
    section.state = wrappingLabel(section.frame, u"stepState"_s);
    section.state->setAlignment(Qt::AlignRight | Qt::AlignTop);
    heading->addWidget(title, 1);
    heading->addWidget(section.state);
    layout->addLayout(heading);
    section.entries = new QVBoxLayout;
    section.entries->setSpacing(6);
    layout->addLayout(section.entries);
    m_layout->insertWidget(m_layout->count() - 1, section.frame);
    section.frame->show();
    return *m_sections.insert(stepId, section);
}

void RunView::setStepState(const QString &stepId, const QString &state, const QString &colour)
{
    Section &s = section(stepId);
    s.state->setText(state);
    setColour(s.state, colour);
}

} // namespace Switchboard::Desktop
