// The desktop example application, driven as a user would (offscreen): load
// a workflow, fill in the generated form, run it against the built-in
// emulator, answer the confirmation dialog, and check what the conversation
// view shows. Screenshots go to <build>/screenshots/.

#include "confirmationdialog.h"
#include "inputform.h"
#include "mainwindow.h"

#include <switchboard/workflowrun.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QLineEdit>
#include <QListView>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTimer>
#include <QTest>

using namespace Switchboard;
using namespace Switchboard::Desktop;
using namespace Qt::Literals::StringLiterals;

namespace {

QString testWorkflow()
{
    return QStringLiteral(SWITCHBOARD_TEST_DATA_DIR) + u"/desktop/confirm.yaml"_s;
}

QString screenshotPath(const QString &name)
{
    const QString dir = QStringLiteral(SWITCHBOARD_BINARY_DIR) + u"/screenshots"_s;
    QDir().mkpath(dir);
    return dir + u'/' + name + u".png"_s;
}

/// What the view shows, row by row (the text its delegate draws).
QStringList shownRows(const QListView *view)
{
    QStringList rows;
    const QAbstractItemModel *model = view->model();
    for (int row = 0; row < model->rowCount(); ++row)
        rows << model->index(row, 0).data(Qt::DisplayRole).toString();
    return rows;
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
    // The required text is missing: the workflow says so, nothing runs.
    const Result<QJsonObject> missing = window.inputForm()->values(*window.workflow());
    QVERIFY(!missing);
    window.findChild<QPushButton *>(u"run"_s)->click();
    QCOMPARE(window.workflowRun(), nullptr);
    QVERIFY2(window.messageText().contains(u"topic"_s), qPrintable(window.messageText()));

    topic->setText(u"days"_s);
    times->setValue(3);
    factor->setValue(2.5);
    loud->setChecked(true);
    unit->setCurrentText(u"days"_s);
    const Result<QJsonObject> values = window.inputForm()->values(*window.workflow());
    QVERIFY2(values, qPrintable(values.error().toString()));
    QCOMPARE(*values, (QJsonObject{{u"topic"_s, u"days"_s}, {u"times"_s, 3}, {u"factor"_s, 2.5}, {u"loud"_s, true},
                                   {u"unit"_s, u"days"_s}}));
}

void tst_DesktopApp::runWithConfirmation_data()
{
    QTest::addColumn<QString>("answer");
    QTest::addColumn<QString>("editedArguments");
    QTest::addColumn<QString>("callRow");
    QTest::addColumn<QString>("answerRow");

    QTest::newRow("approve") << u"approve"_s << QString()
                             << u"call calculate({\"expression\":\"59 * 24\"}) = {\"expression\":\"59 * 24\",\"result\":1416,\"text\":\"1416\"} [done, %1 ms]"_s
                             << u"helper: The answer is {\"expression\":\"59 * 24\",\"result\":1416,\"text\":\"1416\"}."_s;
    QTest::newRow("edit") << u"approve"_s << u"{\"expression\": \"6 * 7\"}"_s
                          << u"call calculate({\"expression\":\"6 * 7\"}) = {\"expression\":\"6 * 7\",\"result\":42,\"text\":\"42\"} [done, %1 ms]"_s
                          << u"helper: The answer is {\"expression\":\"6 * 7\",\"result\":42,\"text\":\"42\"}."_s;
    QTest::newRow("deny") << u"deny"_s << QString()
                          << u"call calculate({\"expression\":\"59 * 24\"}) = The user denied this call of \"calculate\"; it was not run. [denied]"_s
                          << u"helper: The answer is The user denied this call of \"calculate\"; it was not run.."_s;
}

void tst_DesktopApp::runWithConfirmation()
{
    QFETCH(QString, answer);
    QFETCH(QString, editedArguments);
    QFETCH(QString, callRow);
    QFETCH(QString, answerRow);

    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const Result<void> loaded = window.loadWorkflow(testWorkflow());
    QVERIFY2(loaded, qPrintable(loaded.error().toString()));
    window.findChild<QLineEdit *>(u"input_topic"_s)->setText(u"the hours"_s);
    window.findChild<QSpinBox *>(u"input_times"_s)->setValue(3);
    window.findChild<QComboBox *>(u"input_unit"_s)->setCurrentText(u"days"_s);

    int dialogs = 0;
    QString dialogArguments;
    connect(&window, &MainWindow::confirmationShown, this, [&](ConfirmationDialog *dialog) {
        ++dialogs;
        dialogArguments = dialog->argumentsEditor()->toPlainText();
        // Answered a moment later, as a user would, once it is on screen.
        QTimer::singleShot(0, dialog, [dialog, answer, editedArguments] {
            if (!dialog->isVisible())
                qFatal("the confirmation dialog is not shown");
            (void)dialog->grab().save(screenshotPath(u"confirmation"_s));
            if (!editedArguments.isEmpty())
                dialog->argumentsEditor()->setPlainText(editedArguments);
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
    QCOMPARE(dialogs, 1);
    QCOMPARE(dialogArguments, u"{\n    \"expression\": \"59 * 24\"\n}\n"_s);
    QVERIFY(run->isEnabled());
    QVERIFY(!cancel->isEnabled());

    const qint64 duration = window.conversationModel()->get(2).value(u"durationMs"_s).toLongLong();
    QCOMPARE(shownRows(window.conversationView()),
             (QStringList{u"user: the hours x3 f1.5 loud=false in days"_s,
                          u"helper: Computing the hours x3 f1.5 loud=false in days."_s,
                          answer == u"deny" ? callRow : callRow.arg(duration), answerRow}));
    QCOMPARE(rowStates(window.conversationModel()),
             (QStringList{u"compute message.input  done"_s, u"compute message.output helper done"_s,
                          u"compute function.call helper "_s + (answer == u"deny" ? u"denied"_s : u"done"_s),
                          u"compute message.output helper done"_s}));
    QVERIFY2(window.statusText().startsWith(u"Step: - | Turns: 2 | Tokens: "_s), qPrintable(window.statusText()));
    QVERIFY(!window.statusText().endsWith(u"Tokens: 0"_s));
    QVERIFY(window.findChild<QPlainTextEdit *>(u"outputs"_s)->toPlainText().contains(u"\"answer\": \"The answer is"_s));

    const QString name = answer == u"deny" ? u"desktop-denied"_s
                         : editedArguments.isEmpty() ? u"desktop-approved"_s
                                                     : u"desktop-edited"_s;
    QVERIFY(window.grab().save(screenshotPath(name)));
}

void tst_DesktopApp::organizeFiles()
{
    // The example workflow, as shipped: two steps, a listing, then a
    // write_file that waits for the user's approval.
    QTemporaryDir folder;
    QVERIFY(folder.isValid());
    for (const QString &name : {u"meeting-2025-01.txt"_s, u"meeting-2025-02.txt"_s, u"whiteboard.jpg"_s}) {
        QFile file(folder.filePath(name));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("x");
    }
    // Nothing configured here: the workflow's `plugins:` makes its
    // `directory` input the filesystem plugin's root.
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const Result<void> loaded =
        window.loadWorkflow(QStringLiteral(SWITCHBOARD_SOURCE_DIR) + u"/workflows/organize-files.yaml"_s);
    QVERIFY2(loaded, qPrintable(loaded.error().toString()));
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
    const QStringList shown = shownRows(window.conversationView());
    QCOMPARE(shown.at(0), u"user: The folder "_s + folder.path()
                              + u" is a mess. List what is in it and say, in a few lines, how you would group the files."_s);
    QVERIFY2(shown.at(1).startsWith(u"call list_directory({\"path\":\".\"}) = "_s), qPrintable(shown.at(1)));
    for (const QString &name : {u"meeting-2025-01.txt"_s, u"meeting-2025-02.txt"_s, u"whiteboard.jpg"_s})
        QVERIFY2(model->get(1).value(u"result"_s).toString().contains(name), qPrintable(shown.at(1)));
    QCOMPARE(shown.at(2), u"organizer: I found two meeting notes and a photo. I would group them as:\n"
                          "- Notes: meeting-2025-01.txt, meeting-2025-02.txt\n- Images: whiteboard.jpg"_s);
    QCOMPARE(shown.at(3), u"user: Good plan. Write it down as a Markdown index called INDEX.md at the top of the "
                          "folder, one section per group."_s);
    QCOMPARE(model->get(4).value(u"toolName"_s).toString(), u"write_file"_s);
    QCOMPARE(shown.at(5), u"organizer: Done: INDEX.md lists 3 files in 2 groups."_s);
    // The approved call really wrote the file.
    QFile index(folder.filePath(u"INDEX.md"_s));
    QVERIFY(index.open(QIODevice::ReadOnly));
    QCOMPARE(index.readAll(), "# Index\n\n## Notes\n- meeting-2025-01.txt\n- meeting-2025-02.txt\n\n## Images\n- whiteboard.jpg\n"_ba);
    QVERIFY2(window.statusText().startsWith(u"Step: - | Turns: 4 | Tokens: "_s), qPrintable(window.statusText()));
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
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const Result<void> loaded = window.loadWorkflow(testWorkflow());
    QVERIFY2(loaded, qPrintable(loaded.error().toString()));
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
    QVERIFY2(window.messageText().startsWith(u"Failed: "_s), qPrintable(window.messageText()));
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

QTEST_MAIN(tst_DesktopApp)
#include "tst_desktopapp.moc"
