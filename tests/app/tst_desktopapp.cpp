// The desktop example application, driven as a user would (offscreen): load
// a workflow, fill in the generated form, run it against the built-in
// emulator, answer the confirmation dialog, and check what the run view
// shows (the text of every label on screen, Markdown as rendered). The
// program itself is run too, without a display. Screenshots go to
// <build>/screenshots/.

#include "confirmationdialog.h"
#include "inputform.h"
#include "mainwindow.h"
#include "runview.h"

#include <switchboard/version.h>
#include <switchboard/workflowrun.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QGroupBox>
#include <QJsonObject>
#include <QLabel>
#include <QLayout>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPointer>
#include <QProcess>
#include <QRegularExpression>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QTextBlock>
#include <QTextDocument>
#include <QTextList>
#include <QTimer>
#include <QToolButton>
#include <QTest>

using namespace Switchboard;
using namespace Switchboard::Desktop;
using namespace Qt::Literals::StringLiterals;

namespace {

QString testWorkflow()
{
    return QStringLiteral(SWITCHBOARD_TEST_DATA_DIR) + u"/desktop/confirm.yaml"_s;
}

/// `window` on screen with the workflow at `path` loaded (a failure says why).
bool showWithWorkflow(MainWindow &window, const QString &path)
{
    window.show();
    if (!QTest::qWaitForWindowExposed(&window))
        return false;
    const Result<void> loaded = window.loadWorkflow(path);
    if (!loaded)
        qWarning().noquote() << loaded.error().toString();
    return bool(loaded);
}

/// The folder organize-files.yaml tidies up: two notes and a photo.
bool makeMessyFolder(const QString &path)
{
    if (!QDir().mkpath(path))
        return false;
    for (const QString &name : {u"meeting-2025-01.txt"_s, u"meeting-2025-02.txt"_s, u"whiteboard.jpg"_s}) {
        QFile file(path + u'/' + name);
        if (!file.open(QIODevice::WriteOnly) || file.write("x") != 1)
            return false;
    }
    return true;
}

/// Lets the layouts catch up with what changed (as the event loop does
/// before a window is painted), for a screenshot of what a user sees.
void settle()
{
    for (int i = 0; i < 5; ++i)
        QCoreApplication::processEvents();
}

QString screenshotPath(const QString &name)
{
    const QString dir = QStringLiteral(SWITCHBOARD_BINARY_DIR) + u"/screenshots"_s;
    QDir().mkpath(dir);
    return dir + u'/' + name + u".png"_s;
}

// What a label shows: its text, Markdown as rendered.
QString shownText(const QLabel *label)
{
    if (label->textFormat() != Qt::MarkdownText)
        return label->text();
    QTextDocument document;
    document.setMarkdown(label->text());
    return document.toPlainText();
}

void collectShown(const QLayout *layout, QStringList &shown)
{
    for (int i = 0; i < layout->count(); ++i) {
        QLayoutItem *item = layout->itemAt(i);
        if (const QWidget *widget = item->widget()) {
            if (widget->isHidden())
                continue;
            if (const auto *label = qobject_cast<const QLabel *>(widget))
                shown << shownText(label);
            else if (widget->layout())
                collectShown(widget->layout(), shown);
        } else if (item->layout()) {
            collectShown(item->layout(), shown);
        }
    }
}

/// What the run view shows, label by label in the order of its layouts.
QStringList shownBlocks(const RunView *view)
{
    QStringList shown;
    collectShown(view->widget()->layout(), shown);
    return shown;
}

/// The assistant messages' labels, in order.
QList<QLabel *> messageLabels(const RunView *view)
{
    QList<QLabel *> labels;
    for (QFrame *frame : view->widget()->findChildren<QFrame *>(u"assistantMessage"_s))
        labels << frame->findChild<QLabel *>(u"text"_s);
    return labels;
}

QStringList rowStates(const ConversationModel *model)
{
    QStringList rows;
    for (int row = 0; row < model->rowCount(); ++row) {
        const QVariantMap r = model->get(row);
        rows << QStringList{r.value(u"step"_s).toString(), r.value(u"type"_s).toString(),
                            r.value(u"agent"_s).toString(), r.value(u"status"_s).toString()}
                    .join(u' ');
    }
    return rows;
}

} // namespace

class tst_DesktopApp : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void form();
    void runWithConfirmation_data();
    void runWithConfirmation();
    void organizeFiles();
    void cancelWhileAsking();
    void brokenWorkflow();
    void workflowPluginIsolation();
    void layoutWithoutGaps();
    void browseForPaths();
    void pathInputRequired();
    void narrowWindowRewraps();
    void screenshotOfARun();
    void commandLineWithoutDisplay_data();
    void commandLineWithoutDisplay();
};

void tst_DesktopApp::initTestCase()
{
    // Offline whatever the environment says.
    qunsetenv("MISTRAL_API_KEY");
}

void tst_DesktopApp::form()
{
    MainWindow window;
    QVERIFY(window.usesEmulator());
    const Result<void> loaded = window.loadWorkflow(testWorkflow());
    QVERIFY2(loaded, qPrintable(loaded.error().toString()));
    // One editor per input, of the input's type, at its default.
    auto *topic = window.findChild<QLineEdit *>(u"input_topic"_s);
    auto *times = window.findChild<QSpinBox *>(u"input_times"_s);
    auto *factor = window.findChild<QDoubleSpinBox *>(u"input_factor"_s);
    auto *loud = window.findChild<QCheckBox *>(u"input_loud"_s);
    auto *unit = window.findChild<QComboBox *>(u"input_unit"_s);
    QVERIFY(topic && times && factor && loud && unit);
    QCOMPARE(topic->text(), QString());
    QCOMPARE(topic->toolTip(), u"What to compute"_s);
    QCOMPARE(times->value(), 2);
    QCOMPARE(factor->value(), 1.5);
    QCOMPARE(loud->isChecked(), false);
    QCOMPARE(unit->count(), 2);
    QCOMPARE(unit->itemText(0), u"hours"_s);
    QCOMPARE(unit->itemText(1), u"days"_s);
    QCOMPARE(unit->currentText(), u"hours"_s);
    // The required text is missing: said at the field, in the app's words
    // (not the command line's --input advice); nothing runs.
    auto *topicError = window.findChild<QLabel *>(u"error_topic"_s);
    QVERIFY(topicError);
    QVERIFY(topicError->isHidden());
    window.findChild<QPushButton *>(u"run"_s)->click();
    QCOMPARE(window.workflowRun(), nullptr);
    QCOMPARE(window.messageText(), u"Check the inputs marked below: topic."_s);
    QVERIFY(window.messageIsError());
    QCOMPARE(window.inputForm()->fieldError(u"topic"_s), u"Required: fill it in."_s);
    QCOMPARE(topicError->text(), u"Required: fill it in."_s);
    QVERIFY(!topicError->isHidden());
    QCOMPARE(window.inputForm()->fieldError(u"times"_s), QString());
    QVERIFY(window.findChild<QLabel *>(u"error_times"_s)->isHidden());
    // Typing in the field takes the mark away.
    QTest::keyClicks(topic, u"d"_s);
    QVERIFY(topicError->isHidden());
    // No Browse button but for paths.
    QCOMPARE(window.findChildren<QToolButton *>(QRegularExpression(u"^browse_"_s)).size(), 0);

    topic->setText(u"days"_s);
    times->setValue(3);
    factor->setValue(2.5);
    loud->setChecked(true);
    unit->setCurrentText(u"days"_s);
    const Result<QJsonObject> values = window.inputForm()->values(*window.workflow());
    QVERIFY2(values, qPrintable(values.error().toString()));
    QCOMPARE(*values, (QJsonObject{{u"topic"_s, u"days"_s}, {u"times"_s, 3}, {u"factor"_s, 2.5}, {u"loud"_s, true},
                                   {u"unit"_s, u"days"_s}}));
    QCOMPARE(window.inputForm()->fieldError(u"topic"_s), QString());
}

void tst_DesktopApp::runWithConfirmation_data()
{
    QTest::addColumn<QString>("answer");
    QTest::addColumn<QString>("editedArguments");
    QTest::addColumn<QStringList>("callCard");
    QTest::addColumn<QString>("answerText");

    const QString computed = u"{\n    \"expression\": \"59 * 24\",\n    \"result\": 1416,\n    \"text\": \"1416\"\n}"_s;
    const QString asked = u"{\n    \"expression\": \"59 * 24\"\n}"_s;
    const QString denied = u"The user denied this call of \"calculate\"; it was not run."_s;
    QTest::newRow("approve") << u"approve"_s << QString()
                             << QStringList{u"Tool call: calculate"_s, u"done in %1 ms"_s, u"Arguments"_s, asked,
                                            u"Result"_s, computed}
                             << u"The answer is {\"expression\":\"59 * 24\",\"result\":1416,\"text\":\"1416\"}."_s;
    QTest::newRow("edit") << u"approve"_s << u"{\"expression\": \"6 * 7\"}"_s
                          << QStringList{u"Tool call: calculate"_s, u"done in %1 ms"_s, u"Arguments (changed by you)"_s,
                                         u"{\n    \"expression\": \"6 * 7\"\n}"_s, u"The model's arguments"_s, asked,
                                         u"Result"_s,
                                         u"{\n    \"expression\": \"6 * 7\",\n    \"result\": 42,\n    \"text\": \"42\"\n}"_s}
                          << u"The answer is {\"expression\":\"6 * 7\",\"result\":42,\"text\":\"42\"}."_s;
    QTest::newRow("deny") << u"deny"_s << QString()
                          << QStringList{u"Tool call: calculate"_s, u"denied"_s, u"Arguments"_s, asked,
                                         u"The model was told"_s, denied}
                          << u"The answer is "_s + denied + u"."_s;
    // Enter in the dialog takes the safe choice: the call is denied.
    QTest::newRow("enter") << u"enter"_s << QString()
                           << QStringList{u"Tool call: calculate"_s, u"denied"_s, u"Arguments"_s, asked,
                                          u"The model was told"_s, denied}
                           << u"The answer is "_s + denied + u"."_s;
}

void tst_DesktopApp::runWithConfirmation()
{
    QFETCH(QString, answer);
    QFETCH(QString, editedArguments);
    QFETCH(QStringList, callCard);
    QFETCH(QString, answerText);

    MainWindow window;
    QVERIFY(showWithWorkflow(window, testWorkflow()));
    window.findChild<QLineEdit *>(u"input_topic"_s)->setText(u"the hours"_s);
    window.findChild<QSpinBox *>(u"input_times"_s)->setValue(3);
    window.findChild<QComboBox *>(u"input_unit"_s)->setCurrentText(u"days"_s);

    int dialogs = 0;
    QString dialogArguments;
    bool denyIsDefault = false;
    QStringList whileAsking;
    connect(&window, &MainWindow::confirmationShown, this, [&](ConfirmationDialog *dialog) {
        ++dialogs;
        dialogArguments = dialog->argumentsEditor()->toPlainText();
        denyIsDefault = dialog->denyButton()->isDefault() && !dialog->approveButton()->isDefault()
                        && !dialog->approveButton()->autoDefault();
        // Answered a moment later, as a user would, once it is on screen.
        QTimer::singleShot(0, dialog, [&, dialog, answer, editedArguments] {
            if (!dialog->isVisible())
                qFatal("the confirmation dialog is not shown");
            whileAsking = shownBlocks(window.runView());
            (void)dialog->grab().save(screenshotPath(u"confirmation"_s));
            if (!editedArguments.isEmpty())
                dialog->argumentsEditor()->setPlainText(editedArguments);
            if (answer == u"enter") {
                // Where a user's Enter goes: the widget with the focus.
                QVERIFY(dialog->focusWidget());
                QTest::keyClick(dialog->focusWidget(), Qt::Key_Return);
            }
            else
                (answer == u"approve" ? dialog->approveButton() : dialog->denyButton())->click();
        });
    });
    QSignalSpy finished(&window, &MainWindow::runFinished);
    auto *run = window.findChild<QPushButton *>(u"run"_s);
    auto *cancel = window.findChild<QPushButton *>(u"cancel"_s);
    QVERIFY(run->isEnabled());
    QVERIFY(!cancel->isEnabled());
    run->click();
    QVERIFY(!run->isEnabled());
    QVERIFY(cancel->isEnabled());
    QVERIFY(finished.wait(30000));
    QVERIFY2(!window.workflowRun()->error().isError(), qPrintable(window.workflowRun()->error().message));
    QCOMPARE(window.messageText(), u"Finished."_s);
    QVERIFY(!window.messageIsError());
    QCOMPARE(dialogs, 1);
    QVERIFY(denyIsDefault);
    QCOMPARE(dialogArguments, u"{\n    \"expression\": \"59 * 24\"\n}\n"_s);
    QVERIFY(run->isEnabled());
    QVERIFY(!cancel->isEnabled());

    // While the dialog asked, the step was running and the card said so.
    QCOMPARE(whileAsking, (QStringList{u"Step compute"_s, u"Running…"_s, u"You"_s,
                                       u"the hours x3 f1.5 loud=false in days"_s, u"helper"_s,
                                       u"Computing the hours x3 f1.5 loud=false in days."_s, u"Tool call: calculate"_s,
                                       u"waiting for your approval"_s, u"Arguments"_s,
                                       u"{\n    \"expression\": \"59 * 24\"\n}"_s}));

    const qint64 duration = window.conversationModel()->get(2).value(u"durationMs"_s).toLongLong();
    if (callCard.at(1).contains(u"%1"_s))
        callCard[1] = callCard.at(1).arg(duration);
    const QStringList expected = QStringList{u"Step compute"_s, u"Done"_s, u"You"_s,
                                             u"the hours x3 f1.5 loud=false in days"_s, u"helper"_s,
                                             u"Computing the hours x3 f1.5 loud=false in days."_s}
                                 + callCard + QStringList{u"helper"_s, answerText};
    QCOMPARE(shownBlocks(window.runView()), expected);
    QCOMPARE(window.runView()->stepState(u"compute"_s), u"Done"_s);
    // The assistant's text is rendered as Markdown.
    for (const QLabel *message : messageLabels(window.runView()))
        QCOMPARE(message->textFormat(), Qt::MarkdownText);
    QCOMPARE(rowStates(window.conversationModel()),
             (QStringList{u"compute message.input  done"_s, u"compute message.output helper done"_s,
                          u"compute function.call helper "_s + (answer == u"deny" || answer == u"enter" ? u"denied"_s : u"done"_s),
                          u"compute message.output helper done"_s}));
    QVERIFY2(window.statusText().startsWith(u"Step: - | Turns: 2 | Tokens: "_s), qPrintable(window.statusText()));
    QVERIFY(!window.statusText().endsWith(u"Tokens: 0"_s));
    // The output is its text, under its name: no JSON quoting or escapes.
    QCOMPARE(window.outputsView()->toPlainText(), u"answer\n"_s + answerText);

    const QString name = answer == u"deny" || answer == u"enter" ? u"desktop-denied"_s
                         : editedArguments.isEmpty()            ? u"desktop-approved"_s
                                                                : u"desktop-edited"_s;
    settle();
    QVERIFY(window.grab().save(screenshotPath(name)));
}

void tst_DesktopApp::organizeFiles()
{
    // The example workflow, as shipped: two steps, a listing, then a
    // write_file that waits for the user's approval.
    QTemporaryDir folder;
    QVERIFY(folder.isValid());
    QVERIFY(makeMessyFolder(folder.path()));
    // Nothing configured here: the workflow's `plugins:` makes its
    // `directory` input the filesystem plugin's root.
    MainWindow window;
    QVERIFY(showWithWorkflow(window, QStringLiteral(SWITCHBOARD_SOURCE_DIR) + u"/workflows/organize-files.yaml"_s));
    QVERIFY2(window.messageText().contains(u"organize-files.script.yaml"_s), qPrintable(window.messageText()));
    window.findChild<QLineEdit *>(u"input_directory"_s)->setText(folder.path());
    QCOMPARE(window.findChild<QLineEdit *>(u"input_index_name"_s)->text(), u"INDEX.md"_s);

    QStringList asked;
    connect(&window, &MainWindow::confirmationShown, this, [&](ConfirmationDialog *dialog) {
        asked << dialog->stepId() + u' ' + dialog->request().call.name;
        QTimer::singleShot(0, dialog, [dialog] { dialog->approveButton()->click(); });
    });
    QSignalSpy finished(&window, &MainWindow::runFinished);
    window.findChild<QPushButton *>(u"run"_s)->click();
    QVERIFY(finished.wait(30000));
    QVERIFY2(!window.workflowRun()->error().isError(), qPrintable(window.workflowRun()->error().toString()));
    QCOMPARE(asked, QStringList{u"write_index write_file"_s});

    const ConversationModel *model = window.conversationModel();
    QCOMPARE(rowStates(model),
             (QStringList{u"survey message.input  done"_s, u"survey function.call organizer done"_s,
                          u"survey message.output organizer done"_s, u"write_index message.input  done"_s,
                          u"write_index function.call organizer done"_s,
                          u"write_index message.output organizer done"_s}));
    // Two sections; the listing's result indented (its entries' times vary);
    // the plan's Markdown list rendered as a list.
    QStringList shown = shownBlocks(window.runView());
    QCOMPARE(shown.size(), 24);
    const QString listing = shown.at(9);
    QVERIFY2(listing.startsWith(u"{\n    \"entries\": [\n        {\n"_s), qPrintable(listing));
    QVERIFY2(listing.endsWith(u"\n    ],\n    \"path\": \".\",\n    \"truncated\": false\n}"_s), qPrintable(listing));
    for (const QString &name : {u"meeting-2025-01.txt"_s, u"meeting-2025-02.txt"_s, u"whiteboard.jpg"_s})
        QVERIFY2(listing.contains(u"            \"path\": \""_s + name + u"\",\n"_s), qPrintable(listing));
    shown[9] = u"(listing)"_s;
    const auto durationOf = [model](int row) {
        return u"done in %1 ms"_s.arg(model->get(row).value(u"durationMs"_s).toLongLong());
    };
    QCOMPARE(shown,
             (QStringList{u"Step survey"_s, u"Done"_s, u"You"_s,
                          u"The folder "_s + folder.path()
                              + u" is a mess. List what is in it and say, in a few lines, how you would group the files."_s,
                          u"Tool call: list_directory"_s, durationOf(1), u"Arguments"_s, u"{\n    \"path\": \".\"\n}"_s,
                          u"Result"_s, u"(listing)"_s, u"organizer"_s,
                          u"I found two meeting notes and a photo. I would group them as:\n"
                          "Notes: meeting-2025-01.txt, meeting-2025-02.txt\nImages: whiteboard.jpg"_s,
                          u"Step write_index"_s, u"Done"_s, u"You"_s,
                          u"Good plan. Write it down as a Markdown index called INDEX.md at the top of the folder, one "
                          "section per group."_s,
                          u"Tool call: write_file"_s, durationOf(4), u"Arguments"_s,
                          u"{\n    \"content\": \"# Index\\n\\n## Notes\\n- meeting-2025-01.txt\\n- meeting-2025-02.txt\\n\\n## "
                          "Images\\n- whiteboard.jpg\\n\",\n    \"path\": \"INDEX.md\"\n}"_s,
                          u"Result"_s,
                          u"{\n    \"bytes_written\": 90,\n    \"created\": true,\n    \"mode\": \"create\",\n    \"path\": "
                          "\"INDEX.md\"\n}"_s,
                          u"organizer"_s, u"Done: INDEX.md lists 3 files in 2 groups."_s}));
    // Rendered: the Markdown list is a list of two items.
    const QList<QLabel *> messages = messageLabels(window.runView());
    QCOMPARE(messages.size(), 2);
    {
        QTextDocument rendered;
        rendered.setMarkdown(messages.at(0)->text());
        QCOMPARE(rendered.blockCount(), 3);
        QVERIFY(rendered.lastBlock().textList());
        QCOMPARE(rendered.lastBlock().textList()->count(), 2);
    }
    // The outputs: text as text (the plan's lines as lines), the written
    // file's result (a JSON text) indented.
    QCOMPARE(window.outputsView()->toPlainText(),
             u"plan\nI found two meeting notes and a photo. I would group them as:\n"
             "- Notes: meeting-2025-01.txt, meeting-2025-02.txt\n- Images: whiteboard.jpg\n"
             "written\n{\n    \"bytes_written\": 90,\n    \"created\": true,\n    \"mode\": \"create\",\n    \"path\": "
             "\"INDEX.md\"\n}\nsummary\nDone: INDEX.md lists 3 files in 2 groups."_s);
    QCOMPARE(model->get(4).value(u"toolName"_s).toString(), u"write_file"_s);
    // The approved call really wrote the file.
    QFile index(folder.filePath(u"INDEX.md"_s));
    QVERIFY(index.open(QIODevice::ReadOnly));
    QCOMPARE(index.readAll(), "# Index\n\n## Notes\n- meeting-2025-01.txt\n- meeting-2025-02.txt\n\n## Images\n- whiteboard.jpg\n"_ba);
    QVERIFY2(window.statusText().startsWith(u"Step: - | Turns: 4 | Tokens: "_s), qPrintable(window.statusText()));
    settle();
    QVERIFY(window.grab().save(screenshotPath(u"desktop"_s)));

    // Run again on another folder, in the same window (the same plugin
    // registry): the plugin follows the new input, not the first run's root.
    QTemporaryDir other;
    QVERIFY(other.isValid());
    window.findChild<QLineEdit *>(u"input_directory"_s)->setText(other.path());
    window.findChild<QPushButton *>(u"run"_s)->click();
    QVERIFY(finished.wait(30000));
    QVERIFY2(!window.workflowRun()->error().isError(), qPrintable(window.workflowRun()->error().toString()));
    QVERIFY(QFileInfo::exists(other.filePath(u"INDEX.md"_s)));
    QVERIFY(!model->get(1).value(u"result"_s).toString().contains(u"whiteboard.jpg"_s));

    // A --plugin-config of the program wins over the workflow's.
    QTemporaryDir configured;
    QVERIFY(configured.isValid());
    window.setPluginConfiguration(u"filesystem"_s, QJsonObject{{u"root"_s, configured.path()}});
    QFile::remove(folder.filePath(u"INDEX.md"_s));
    window.findChild<QLineEdit *>(u"input_directory"_s)->setText(folder.path());
    window.findChild<QPushButton *>(u"run"_s)->click();
    QVERIFY(finished.wait(30000));
    QVERIFY2(!window.workflowRun()->error().isError(), qPrintable(window.workflowRun()->error().toString()));
    QVERIFY(QFileInfo::exists(configured.filePath(u"INDEX.md"_s)));
    QVERIFY(!QFileInfo::exists(folder.filePath(u"INDEX.md"_s)));
}

void tst_DesktopApp::cancelWhileAsking()
{
    MainWindow window;
    QVERIFY(showWithWorkflow(window, testWorkflow()));
    window.findChild<QLineEdit *>(u"input_topic"_s)->setText(u"nothing"_s);
    QPointer<ConfirmationDialog> asking;
    auto *cancel = window.findChild<QPushButton *>(u"cancel"_s);
    connect(&window, &MainWindow::confirmationShown, this, [&](ConfirmationDialog *dialog) {
        asking = dialog;
        QTimer::singleShot(0, cancel, [cancel] { cancel->click(); });
    });
    QSignalSpy finished(&window, &MainWindow::runFinished);
    window.findChild<QPushButton *>(u"run"_s)->click();
    QVERIFY(finished.wait(30000));
    QCOMPARE(window.workflowRun()->error().code, Error::Code::Canceled);
    // The user canceled: said as such, not as a failure in red.
    QCOMPARE(window.messageText(), u"Canceled."_s);
    QVERIFY(!window.messageIsError());
    QCOMPARE(window.findChild<QLabel *>(u"message"_s)->styleSheet(), QString());
    QCOMPARE(window.runView()->stepState(u"compute"_s), u"Canceled"_s);
    QCOMPARE(shownBlocks(window.runView()),
             (QStringList{u"Step compute"_s, u"Canceled"_s, u"You"_s, u"nothing x2 f1.5 loud=false in hours"_s,
                          u"helper"_s, u"Computing nothing x2 f1.5 loud=false in hours."_s, u"Tool call: calculate"_s,
                          u"canceled"_s, u"Arguments"_s, u"{\n    \"expression\": \"59 * 24\"\n}"_s}));
    QCOMPARE(window.outputsView()->toPlainText(), QString());
    // The question went away with the run; the call never ran.
    QTRY_VERIFY(!asking);
    QCOMPARE(rowStates(window.conversationModel()),
             (QStringList{u"compute message.input  done"_s, u"compute message.output helper done"_s,
                          u"compute function.call helper canceled"_s}));
    QVERIFY(window.findChild<QPushButton *>(u"run"_s)->isEnabled());
    QVERIFY(!cancel->isEnabled());
}

void tst_DesktopApp::brokenWorkflow()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QFile file(dir.filePath(u"broken.yaml"_s));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("version: 1\nname: broken\nsteps: [{id: a, agent: nobody, input: hi}]\n");
    file.close();
    MainWindow window;
    const Result<void> loaded = window.loadWorkflow(file.fileName());
    QVERIFY(!loaded);
    QVERIFY2(window.messageText().contains(u"broken.yaml:"_s), qPrintable(window.messageText()));
    QVERIFY(!window.findChild<QPushButton *>(u"run"_s)->isEnabled());
}

// A workflow's plugin_isolation says where its plugins run, as for
// switchboard run; the next workflow's replaces it.
void tst_DesktopApp::workflowPluginIsolation()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto write = [&dir](const QString &name, const QByteArray &isolation) {
        QFile file(dir.filePath(name));
        if (!file.open(QIODevice::WriteOnly))
            return QString();
        file.write("version: 1\nname: isolation\n" + isolation
                   + "agents: {a: {model: m, tools: [{plugin: calculator}]}}\n"
                     "steps: [{id: s, agent: a, input: hi}]\n");
        return file.fileName();
    };
    const QString isolated = write(u"isolated.yaml"_s, "plugin_isolation: {calculator: process}\n");
    const QString plain = write(u"plain.yaml"_s, QByteArray());
    MainWindow window;
    using I = PluginRegistry::Isolation;
    QCOMPARE(window.pluginRegistry().isolation(u"calculator"_s), I::InProcess);   // a bundled plugin
    QVERIFY(window.loadWorkflow(isolated));
    QCOMPARE(window.pluginRegistry().isolation(u"calculator"_s), I::Process);
    QVERIFY(window.loadWorkflow(plain));
    QCOMPARE(window.pluginRegistry().isolation(u"calculator"_s), I::InProcess);
}

void tst_DesktopApp::layoutWithoutGaps()
{
    // The inputs take the height they need; the run view and the outputs,
    // one above the other at the window's width, take the rest.
    MainWindow window;
    QVERIFY(showWithWorkflow(window, testWorkflow()));
    QCoreApplication::processEvents();
    auto *inputs = window.findChild<QGroupBox *>(u"inputs"_s);
    QVERIFY(inputs);
    const int needed = inputs->hasHeightForWidth() ? inputs->heightForWidth(inputs->width()) : inputs->sizeHint().height();
    QCOMPARE(inputs->height(), needed);
    QCOMPARE(window.outputsView()->window(), &window);
    QCOMPARE(window.outputsView()->parentWidget()->width(), window.runView()->width());
    QVERIFY2(window.runView()->width() > window.width() * 9 / 10,
             qPrintable(QString::number(window.runView()->width())));
    QVERIFY(window.runView()->height() > window.outputsView()->parentWidget()->height());
}

void tst_DesktopApp::browseForPaths()
{
    // organize-files.yaml: `directory` is a path, `index_name` a string.
    MainWindow window;
    QVERIFY(showWithWorkflow(window, QStringLiteral(SWITCHBOARD_SOURCE_DIR) + u"/workflows/organize-files.yaml"_s));
    auto *browse = window.findChild<QToolButton *>(u"browse_directory"_s);
    QVERIFY(browse);
    QTRY_VERIFY(browse->isVisible());
    QCOMPARE(browse->text(), u"Browse…"_s);
    QCOMPARE(window.findChild<QToolButton *>(u"browse_index_name"_s), nullptr);
    QCOMPARE(window.findChildren<QToolButton *>(QRegularExpression(u"^browse_"_s)).size(), 1);
    QVERIFY(browse->menu());
    QStringList choices;
    for (const QAction *action : browse->menu()->actions())
        choices << action->text();
    QCOMPARE(choices, (QStringList{u"Choose a folder…"_s, u"Choose a file…"_s}));

    QTemporaryDir folder;
    QVERIFY(folder.isValid());
    QFile file(folder.filePath(u"notes.txt"_s));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();
    auto *line = window.findChild<QLineEdit *>(u"input_directory"_s);
    struct Choice { int action; QFileDialog::FileMode mode; QString path; };
    for (const Choice &choice : {Choice{0, QFileDialog::Directory, folder.path()},
                                 Choice{1, QFileDialog::ExistingFile, file.fileName()}}) {
        browse->menu()->actions().at(choice.action)->trigger();
        QPointer<QFileDialog> dialog = window.findChild<QFileDialog *>(u"browseDialog"_s);
        QVERIFY(dialog);
        QTRY_VERIFY(dialog->isVisible());
        QCOMPARE(dialog->fileMode(), choice.mode);
        Q_EMIT dialog->fileSelected(choice.path);
        dialog->close();
        QCOMPARE(line->text(), choice.path);
        QTRY_VERIFY(!dialog);
    }
}

void tst_DesktopApp::pathInputRequired()
{
    MainWindow window;
    const Result<void> loaded =
        window.loadWorkflow(QStringLiteral(SWITCHBOARD_SOURCE_DIR) + u"/workflows/organize-files.yaml"_s);
    QVERIFY2(loaded, qPrintable(loaded.error().toString()));
    window.findChild<QPushButton *>(u"run"_s)->click();
    QCOMPARE(window.workflowRun(), nullptr);
    QCOMPARE(window.messageText(), u"Check the inputs marked below: directory."_s);
    QCOMPARE(window.findChild<QLabel *>(u"error_directory"_s)->text(), u"Required: type a path or browse for one."_s);
    QCOMPARE(window.inputForm()->fieldError(u"index_name"_s), QString());
}

void tst_DesktopApp::narrowWindowRewraps()
{
    MainWindow window;
    window.resize(1000, 700);
    QVERIFY(showWithWorkflow(window, testWorkflow()));
    window.findChild<QLineEdit *>(u"input_topic"_s)->setText(u"the number of hours in fifty-nine days, counted slowly"_s);
    connect(&window, &MainWindow::confirmationShown, this, [](ConfirmationDialog *dialog) {
        QTimer::singleShot(0, dialog, [dialog] { dialog->approveButton()->click(); });
    });
    QSignalSpy finished(&window, &MainWindow::runFinished);
    window.findChild<QPushButton *>(u"run"_s)->click();
    QVERIFY(finished.wait(30000));
    QCoreApplication::processEvents();
    const QList<QLabel *> messages = messageLabels(window.runView());
    QCOMPARE(messages.size(), 2);
    QLabel *answer = messages.at(1);
    const int wideHeight = answer->height();
    const QString text = shownText(answer);

    window.resize(360, 700);
    QTRY_VERIFY(window.width() <= 400);
    QCoreApplication::processEvents();
    QScrollArea *view = window.runView();
    // The text wraps to the narrower view: taller, nothing cut off at the
    // right, nothing to scroll sideways.
    QTRY_VERIFY2(answer->height() > wideHeight, qPrintable(QString::number(answer->height())));
    QCOMPARE(answer->height(), answer->heightForWidth(answer->width()));
    QCOMPARE(shownText(answer), text);
    QVERIFY2(view->widget()->width() <= view->viewport()->width(),
             qPrintable(u"%1 > %2"_s.arg(view->widget()->width()).arg(view->viewport()->width())));
    QVERIFY(!view->horizontalScrollBar()->isVisible());
    const QPoint right = answer->mapTo(view->viewport(), QPoint(answer->width(), 0));
    QVERIFY2(right.x() <= view->viewport()->width(), qPrintable(QString::number(right.x())));
    settle();
    QVERIFY(window.grab().save(screenshotPath(u"desktop-narrow"_s)));
}

void tst_DesktopApp::screenshotOfARun()
{
    // docs/screenshots/desktop-app.png (docs/embedding.md says how to make
    // it again): organize-files.yaml against the emulator, scrolled to the
    // assistant's Markdown list and the write_file card.
    QTemporaryDir home;
    QVERIFY(home.isValid());
    const QString folder = home.filePath(u"Downloads"_s);
    QVERIFY(makeMessyFolder(folder));
    MainWindow window;
    window.resize(1100, 860);
    QVERIFY(showWithWorkflow(window, QStringLiteral(SWITCHBOARD_SOURCE_DIR) + u"/workflows/organize-files.yaml"_s));
    window.findChild<QLineEdit *>(u"input_directory"_s)->setText(folder);
    connect(&window, &MainWindow::confirmationShown, this, [](ConfirmationDialog *dialog) {
        QTimer::singleShot(0, dialog, [dialog] { dialog->approveButton()->click(); });
    });
    QSignalSpy finished(&window, &MainWindow::runFinished);
    window.findChild<QPushButton *>(u"run"_s)->click();
    QVERIFY(finished.wait(30000));
    QCOMPARE(window.messageText(), u"Finished."_s);
    settle();
    RunView *view = window.runView();
    const QList<QFrame *> messages = view->widget()->findChildren<QFrame *>(u"assistantMessage"_s);
    QCOMPARE(messages.size(), 2);
    view->verticalScrollBar()->setValue(messages.at(0)->mapTo(view->widget(), QPoint(0, 0)).y() - 8);
    settle();
    const QImage image = window.grab().toImage();
    QCOMPARE(image.size(), window.size() * window.devicePixelRatio());
    // Text is drawn (the offscreen platform needs fonts: fonts-dejavu-core):
    // the Markdown list's line has dark pixels.
    const QRect line(messages.at(0)->mapTo(&window, QPoint(0, 0)), messages.at(0)->size());
    int dark = 0;
    for (int y = line.top(); y <= line.bottom(); ++y) {
        for (int x = line.left(); x <= line.right(); ++x)
            dark += qGray(image.pixel(x, y)) < 96 ? 1 : 0;
    }
    QVERIFY2(dark > 500, qPrintable(QString::number(dark)));
    QVERIFY(image.save(screenshotPath(u"desktop-app"_s)));
}

void tst_DesktopApp::commandLineWithoutDisplay_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QString>("out");
    QTest::addColumn<QString>("err");

    const QString help =
        u"Usage: %1 [options] [workflow.yaml]\n"
        "Runs a Switchboard workflow in a window. Without MISTRAL_API_KEY the built-in emulator answers.\n"
        "\n"
        "Options:\n"
        "  -h, --help                 Displays help on commandline options.\n"
        "  --help-all                 Displays help including Qt specific options.\n"
        "  -V, --version              Displays version information.\n"
        "  -q, --quiet                Nothing on standard error but errors.\n"
        "  -v, --verbose              The runtime's log (categories switchboard.*) down\n"
        "                             to debug on standard error.\n"
        "  --plugin-config <ID=JSON>  A tool plugin's configuration as ID=JSON, e.g.\n"
        "                             filesystem={\"root\":\"/home/me/Downloads\"}, over the\n"
        "                             workflow's own (its plugins: section). Repeatable.\n"
        "\n"
        "Arguments:\n"
        "  workflow                   The workflow file to open (optional).\n"_s.arg(
            QStringLiteral(SWITCHBOARD_DESKTOP_BINARY));
    const QString version = u"switchboard-desktop "_s + QStringLiteral(SWITCHBOARD_VERSION_STRING) + u'\n';
    QTest::newRow("--help") << QStringList{u"--help"_s} << 0 << help << QString();
    QTest::newRow("-h") << QStringList{u"-h"_s} << 0 << help << QString();
    QTest::newRow("--version") << QStringList{u"--version"_s} << 0 << version << QString();
    // As in switchboard: -V is the version, -v verbose.
    QTest::newRow("-V") << QStringList{u"-V"_s} << 0 << version << QString();
    QTest::newRow("-v --help") << QStringList{u"-v"_s, u"--help"_s} << 0 << help << QString();
    QTest::newRow("-v -q") << QStringList{u"-v"_s, u"-q"_s} << 2 << QString()
                           << u"switchboard-desktop: --quiet and --verbose cannot go together\n"_s;
    QTest::newRow("--verbose --quiet") << QStringList{u"--verbose"_s, u"--quiet"_s} << 2 << QString()
                                       << u"switchboard-desktop: --quiet and --verbose cannot go together\n"_s;
}

void tst_DesktopApp::commandLineWithoutDisplay()
{
    QFETCH(QStringList, arguments);
    QFETCH(int, exitCode);
    QFETCH(QString, out);
    QFETCH(QString, err);

    // No display of any kind: what needs no window works all the same.
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const QString &name : {u"QT_QPA_PLATFORM"_s, u"DISPLAY"_s, u"WAYLAND_DISPLAY"_s})
        environment.remove(name);
    QProcess program;
    program.setProcessEnvironment(environment);
    program.start(QStringLiteral(SWITCHBOARD_DESKTOP_BINARY), arguments);
    QVERIFY(program.waitForFinished(60000));
    QCOMPARE(program.exitStatus(), QProcess::NormalExit);
    QCOMPARE(QString::fromUtf8(program.readAllStandardError()), err);
    QCOMPARE(QString::fromUtf8(program.readAllStandardOutput()), out);
    QCOMPARE(program.exitCode(), exitCode);
}

QTEST_MAIN(tst_DesktopApp)
#include "tst_desktopapp.moc"
