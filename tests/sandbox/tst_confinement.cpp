// The confinement a plugin host applies (runtime/sandbox/confinement_p.h),
// proven from outside: each row starts sandbox_probe, which builds the
// policy of a plugin from its metadata and configuration as the host does,
// applies it, then calls the system directly (open, connect, fork, execve,
// ptrace, malloc, a thread) and prints the outcome.
#include "landlockabi.h"
#include "testsupport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

using namespace Qt::StringLiterals;

namespace {

// A plugin like the bundled filesystem and http ones together: its root
// from the configuration, read-only when "read_only" says so, and the ports
// of its allow-list.
QJsonObject probeMetaData()
{
    return QJsonDocument::fromJson(R"({
        "Id": "probe", "Version": "1.0", "Description": "Tries what a confined plugin may do.",
        "Tools": [{"Name": "try", "Description": "Tries."}],
        "Sandbox": {
            "Filesystem": [{"PathFrom": "root", "Access": "read-write", "ReadOnlyFrom": "read_only"}],
            "Network": {"ConnectPortsFrom": "allowed_hosts"}
        }
    })")
        .object();
}

using Switchboard::Test::kernelLandlockAbi;

} // namespace

class tst_Confinement : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void confined_data();
    void confined();
    void report();
    void refusedWithAThreadRunning();

private:
    QJsonObject runProbe(const QJsonObject &request, int expectedExitCode = 0, QByteArray *errors = nullptr);

    QTemporaryDir m_directory;
    QString m_root;
    QString m_outside;
    QTcpServer m_allowedServer;
    QTcpServer m_otherServer;
};

void tst_Confinement::initTestCase()
{
    QVERIFY(m_directory.isValid());
    m_root = m_directory.filePath(u"root"_s);
    m_outside = m_directory.filePath(u"outside"_s);
    QVERIFY(QDir().mkpath(m_root));
    QVERIFY(QDir().mkpath(m_outside));
    for (const QString &file : {m_root + u"/inside.txt"_s, m_outside + u"/secret.txt"_s}) {
        QFile out(file);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write("text\n");
    }
    // Two listening servers, so that a refused connection is the sandbox's
    // doing and not an empty port's.
    QVERIFY(m_allowedServer.listen(QHostAddress::LocalHost));
    QVERIFY(m_otherServer.listen(QHostAddress::LocalHost));
}

QJsonObject tst_Confinement::runProbe(const QJsonObject &request, int expectedExitCode, QByteArray *errors)
{
    QProcess probe;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
#ifdef SWITCHBOARD_TEST_ASAN
    // The probe runs LeakSanitizer's check itself before it confines itself
    // (applyConfinement); make sure a failing check is a crash the test sees.
    environment.insert(u"ASAN_OPTIONS"_s, environment.value(u"ASAN_OPTIONS"_s) + u":abort_on_error=1"_s);
#endif
    probe.setProcessEnvironment(environment);
    probe.start(QStringLiteral(SANDBOX_PROBE), {QString::fromUtf8(QJsonDocument(request).toJson(QJsonDocument::Compact))});
    if (!probe.waitForFinished(60000)) {
        probe.kill();
        probe.waitForFinished();
    }
    const QByteArray standardError = probe.readAllStandardError();
    if (errors)
        *errors = standardError;
    if (probe.exitStatus() != QProcess::NormalExit || probe.exitCode() != expectedExitCode) {
        qWarning().noquote() << "the probe ended with" << probe.exitStatus() << probe.exitCode() << standardError;
        return QJsonObject{{u"exit"_s, u"unexpected"_s}};
    }
    return QJsonDocument::fromJson(probe.readAllStandardOutput()).object();
}

void tst_Confinement::confined_data()
{
    QTest::addColumn<QJsonObject>("configuration");
    QTest::addColumn<QJsonObject>("limits");
    QTest::addColumn<int>("landlockAbi");      // the highest the probe uses
    QTest::addColumn<int>("requiredAbi");      // the kernel's it needs
    QTest::addColumn<QJsonObject>("action");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<QStringList>("unavailable");

    const QString allowedHost = u"127.0.0.1:%1"_s.arg(m_allowedServer.serverPort());
    const QJsonObject readWrite{{u"root"_s, m_root}, {u"read_only"_s, false}, {u"allowed_hosts"_s, QJsonArray{allowedHost}}};
    QJsonObject readOnly = readWrite;
    readOnly.insert(u"read_only"_s, true);
    const int latest = 1 << 30;
    const auto action = [](const QString &name, const QString &key = QString(), const QJsonValue &value = QJsonValue()) {
        QJsonObject object{{u"action"_s, name}};
        if (!key.isEmpty())
            object.insert(key, value);
        return object;
    };
    const QString outsideFile = m_outside + u"/secret.txt"_s;

    QTest::newRow("read outside the root") << readWrite << QJsonObject() << latest << 1
                                           << action(u"read"_s, u"path"_s, outsideFile) << u"EACCES"_s << QStringList();
    QTest::newRow("read a system file nothing declared") << readWrite << QJsonObject() << latest << 1
                                                          << action(u"read"_s, u"path"_s, u"/etc/passwd"_s) << u"EACCES"_s
                                                          << QStringList();
    QTest::newRow("read inside the root") << readWrite << QJsonObject() << latest << 1
                                          << action(u"read"_s, u"path"_s, m_root + u"/inside.txt"_s) << u"ok"_s << QStringList();
    QTest::newRow("write under a read-only root") << readOnly << QJsonObject() << latest << 1
                                                  << action(u"write"_s, u"path"_s, m_root + u"/new.txt"_s) << u"EACCES"_s
                                                  << QStringList();
    QTest::newRow("overwrite under a read-only root") << readOnly << QJsonObject() << latest << 1
                                                      << action(u"write"_s, u"path"_s, m_root + u"/inside.txt"_s) << u"EACCES"_s
                                                      << QStringList();
    QTest::newRow("write under a read-write root") << readWrite << QJsonObject() << latest << 1
                                                   << action(u"write"_s, u"path"_s, m_root + u"/written.txt"_s) << u"ok"_s
                                                   << QStringList();
    QTest::newRow("write outside a read-write root") << readWrite << QJsonObject() << latest << 1
                                                     << action(u"write"_s, u"path"_s, m_outside + u"/new.txt"_s) << u"EACCES"_s
                                                     << QStringList();
    QTest::newRow("connect to a port not allowed") << readWrite << QJsonObject() << latest << 4
                                                   << action(u"connect"_s, u"port"_s, m_otherServer.serverPort()) << u"EACCES"_s
                                                   << QStringList();
    QTest::newRow("connect to an allowed port") << readWrite << QJsonObject() << latest << 4
                                                << action(u"connect"_s, u"port"_s, m_allowedServer.serverPort()) << u"ok"_s
                                                << QStringList();
    // A kernel without a feature: said once, the rest applies.
    QTest::newRow("ABI 3: no TCP rules, said so") << readWrite << QJsonObject() << 3 << 3
                                                  << action(u"connect"_s, u"port"_s, m_otherServer.serverPort()) << u"ok"_s
                                                  << QStringList{u"Landlock TCP rules: the kernel's Landlock ABI is 3, they need 4"_s,
                                                                 u"Landlock scopes (signals, abstract UNIX sockets): the kernel's Landlock ABI is 3, they need 6"_s};
    QTest::newRow("ABI 1: files still confined") << readWrite << QJsonObject() << 1 << 1
                                                 << action(u"read"_s, u"path"_s, outsideFile) << u"EACCES"_s
                                                 << QStringList{u"Landlock TCP rules: the kernel's Landlock ABI is 1, they need 4"_s,
                                                                u"Landlock truncation control: the kernel's Landlock ABI is 1, it needs 3 (files under read-only paths can be truncated)"_s,
                                                                u"Landlock scopes (signals, abstract UNIX sockets): the kernel's Landlock ABI is 1, they need 6"_s};
    QTest::newRow("memory hog past its limit") << readWrite << QJsonObject{{u"address_space_mib"_s, 1024}} << latest << 0
                                               << action(u"allocate"_s, u"mib"_s, 2048) << u"ENOMEM"_s << QStringList();
    QTest::newRow("memory within its limit") << readWrite << QJsonObject{{u"address_space_mib"_s, 1024}} << latest << 0
                                             << action(u"allocate"_s, u"mib"_s, 256) << u"ok"_s << QStringList();
    QTest::newRow("fork") << readWrite << QJsonObject() << latest << 0 << action(u"fork"_s) << u"EPERM"_s << QStringList();
    QTest::newRow("execve") << readWrite << QJsonObject() << latest << 0 << action(u"exec"_s) << u"EPERM"_s << QStringList();
    QTest::newRow("ptrace") << readWrite << QJsonObject() << latest << 0 << action(u"ptrace"_s) << u"EPERM"_s << QStringList();
    QTest::newRow("a thread") << readWrite << QJsonObject() << latest << 0 << action(u"thread"_s) << u"ok"_s << QStringList();
    QTest::newRow("signal the runtime") << readWrite << QJsonObject() << latest << 6 << action(u"signal"_s) << u"EPERM"_s
                                        << QStringList();
}

void tst_Confinement::confined()
{
    QFETCH(QJsonObject, configuration);
    QFETCH(QJsonObject, limits);
    QFETCH(int, landlockAbi);
    QFETCH(int, requiredAbi);
    QFETCH(QJsonObject, action);
    QFETCH(QString, expected);
    QFETCH(QStringList, unavailable);

    const int kernelAbi = kernelLandlockAbi();
    if (kernelAbi < requiredAbi)
        QSKIP(qPrintable(u"the kernel's Landlock ABI is %1, the row needs %2"_s.arg(kernelAbi).arg(requiredAbi)));
#ifdef SWITCHBOARD_TEST_ASAN
    if (limits.contains(u"address_space_mib"_s))
        QSKIP("built with AddressSanitizer, which reserves terabytes of address space: no RLIMIT_AS");
    unavailable.prepend(u"RLIMIT_AS: built with AddressSanitizer, which reserves terabytes of address space"_s);
#endif
    QJsonObject request = action;
    request.insert(u"metadata"_s, probeMetaData());
    request.insert(u"configuration"_s, configuration);
    request.insert(u"limits"_s, limits);
    request.insert(u"landlockAbi"_s, landlockAbi);
    const QJsonObject answer = runProbe(request);
    QCOMPARE(answer.value(u"result"_s).toString(), expected);
    // Everything is there on a kernel of ABI 6 or later: what the row's
    // lower ABI lacks is listed, nothing else.
    if (kernelAbi >= 6)
        QCOMPARE(answer.value(u"unavailable"_s).toVariant().toStringList(), unavailable);
}

// What the host says it applied, with the defaults.
void tst_Confinement::report()
{
    if (kernelLandlockAbi() < 6)
        QSKIP("the kernel's Landlock ABI is below 6: the list differs");
    QJsonObject request{{u"action"_s, u"thread"_s}, {u"metadata"_s, probeMetaData()}};
    request.insert(u"configuration"_s, QJsonObject{{u"root"_s, m_root}, {u"allowed_hosts"_s, QJsonArray{u"example.com"_s, u"example.org:8443"_s}}});
    const QJsonObject answer = runProbe(request);
    QStringList applied = answer.value(u"applied"_s).toVariant().toStringList();
    const qsizetype landlock = applied.indexOf(QRegularExpression(u"^Landlock ABI [0-9]+: [0-9]+ paths$"_s));
    QVERIFY2(landlock >= 0, qPrintable(applied.join(u'\n')));
    applied.removeAt(landlock);
    QStringList expected{u"no_new_privs"_s,
#ifndef SWITCHBOARD_TEST_ASAN
                         u"RLIMIT_AS 4096 MiB"_s,
#endif
                         u"RLIMIT_CPU 3600 s"_s,
                         u"RLIMIT_FSIZE 1024 MiB"_s,
                         u"Landlock TCP: connect to ports 80, 443, 8443, no bind"_s,
                         u"Landlock scopes: signals and abstract UNIX sockets"_s,
                         u"seccomp: 50 system calls denied, new processes denied, threads allowed"_s};
    QCOMPARE(applied, expected);
    QCOMPARE(answer.value(u"result"_s).toString(), u"ok"_s);
}

// A thread started before the confinement would stay outside Landlock's
// domain: the confinement refuses, and the host does not load the plugin.
void tst_Confinement::refusedWithAThreadRunning()
{
    const QJsonObject request{{u"action"_s, u"thread"_s}, {u"metadata"_s, probeMetaData()}, {u"threadBefore"_s, true},
                              {u"configuration"_s, QJsonObject{{u"root"_s, m_root}, {u"allowed_hosts"_s, QJsonArray{u"example.com"_s}}}}};
    QByteArray errors;
    const QJsonObject answer = runProbe(request, 3, &errors);
    QCOMPARE(answer, QJsonObject());   // nothing tried
    QCOMPARE(errors, QByteArray("cannot confine the plugin host: the process has 2 threads; it must confine itself before it "
                                "starts any (Landlock applies to the calling thread and those it starts later)\n"));
}

QTEST_GUILESS_MAIN(tst_Confinement)
#include "tst_confinement.moc"
