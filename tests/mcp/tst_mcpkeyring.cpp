// McpKeyringTokenStore against a real Secret Service: GNOME Keyring in a
// D-Bus session of the test's own, in a throwaway HOME
// (keyring/keyringsession.sh runs it so). What it writes reads back, is
// removed, and never appears in a plain file under HOME (the keyring's own
// file is encrypted).

#include <switchboard/mcpoauth.h>

#include <QDirIterator>
#include <QFile>
#include <QTest>

using namespace Switchboard;
using namespace Qt::StringLiterals;

namespace {

Result<QByteArray> readKey(McpTokenStore &store, const QString &key)
{
    std::optional<Result<QByteArray>> answer;
    store.read(key, [&answer](Result<QByteArray> value) { answer = std::move(value); });
    if (!QTest::qWaitFor([&answer] { return answer.has_value(); }, 20000))
        return Error(Error::Code::Timeout, u"no answer from the keyring"_s);
    return *answer;
}

Result<void> writeKey(McpTokenStore &store, const QString &key, const QByteArray &value)
{
    std::optional<Result<void>> answer;
    store.write(key, value, [&answer](Result<void> written) { answer = std::move(written); });
    if (!QTest::qWaitFor([&answer] { return answer.has_value(); }, 20000))
        return Error(Error::Code::Timeout, u"no answer from the keyring"_s);
    return *answer;
}

Result<void> removeKey(McpTokenStore &store, const QString &key)
{
    std::optional<Result<void>> answer;
    store.remove(key, [&answer](Result<void> removed) { answer = std::move(removed); });
    if (!QTest::qWaitFor([&answer] { return answer.has_value(); }, 20000))
        return Error(Error::Code::Timeout, u"no answer from the keyring"_s);
    return *answer;
}

} // namespace

class tst_McpKeyring : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        if (!McpKeyringTokenStore::isAvailable())
            QSKIP("built without qtkeychain");
        if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS"))
            QFAIL("no D-Bus session: run it through keyring/keyringsession.sh");
    }

    void roundTrip()
    {
        McpKeyringTokenStore store(u"switchboard-test"_s);
        const QString key = u"mcp-oauth:https://mcp.example.com/mcp"_s;
        const QByteArray value = R"({"access_token":"secret-access-token-4f2a","refresh_token":"secret-refresh-9c1d"})";

        const Result<QByteArray> missing = readKey(store, key);
        QVERIFY2(missing, qPrintable(missing.error().message));
        QVERIFY(missing->isEmpty());

        const Result<void> written = writeKey(store, key, value);
        QVERIFY2(written, qPrintable(written.error().message));
        const Result<QByteArray> read = readKey(store, key);
        QVERIFY2(read, qPrintable(read.error().message));
        QCOMPARE(*read, value);
        // Another service is another entry.
        McpKeyringTokenStore other(u"switchboard-test-other"_s);
        const Result<QByteArray> elsewhere = readKey(other, key);
        QVERIFY(elsewhere && elsewhere->isEmpty());

        // Nothing under HOME holds the tokens in plain text.
        QDirIterator files(QDir::homePath(), QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        int seen = 0;
        while (files.hasNext()) {
            QFile file(files.next());
            if (!file.open(QIODevice::ReadOnly))
                continue;
            ++seen;
            const QByteArray content = file.readAll();
            QVERIFY2(!content.contains("secret-access-token-4f2a") && !content.contains("secret-refresh-9c1d"),
                     qPrintable(file.fileName()));
        }
        QVERIFY(seen > 0);   // the keyring's own (encrypted) file at least

        const Result<void> removed = removeKey(store, key);
        QVERIFY2(removed, qPrintable(removed.error().message));
        const Result<QByteArray> gone = readKey(store, key);
        QVERIFY(gone && gone->isEmpty());
        QVERIFY(removeKey(store, key));   // removing nothing is no error
    }
};

QTEST_GUILESS_MAIN(tst_McpKeyring)
#include "tst_mcpkeyring.moc"
