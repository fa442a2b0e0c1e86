// McpKeyringTokenStore: the system keyring through qtkeychain (the Secret
// Service over D-Bus on Linux: GNOME Keyring, KeePassXC, KWallet's). Its
// jobs are asynchronous and answer on the event loop. qtkeychain's
// "insecure fallback" (a QSettings file when no keyring answers) stays off:
// without a keyring, storing fails, and the token holds for the run only.

#include <switchboard/mcpoauth.h>

#ifdef SWITCHBOARD_HAS_KEYCHAIN
#include <qt6keychain/keychain.h>
#endif

#include <QCoreApplication>

using namespace Qt::StringLiterals;

namespace Switchboard {

McpKeyringTokenStore::McpKeyringTokenStore(const QString &service) : m_service(service) {}

#ifdef SWITCHBOARD_HAS_KEYCHAIN

namespace {

Error keyringError(const QKeychain::Job *job, const QString &what)
{
    return Error(Error::Code::NotFound, u"the keyring cannot %1: %2"_s.arg(what, job->errorString()));
}

} // namespace

bool McpKeyringTokenStore::isAvailable()
{
    return true;
}

void McpKeyringTokenStore::read(const QString &key, std::function<void(Result<QByteArray>)> done)
{
    auto *job = new QKeychain::ReadPasswordJob(m_service);
    job->setInsecureFallback(false);
    job->setAutoDelete(true);
    job->setKey(key);
    QObject::connect(job, &QKeychain::Job::finished, job, [done](QKeychain::Job *finished) {
        auto *reading = static_cast<QKeychain::ReadPasswordJob *>(finished);
        if (reading->error() == QKeychain::NoError)
            done(reading->binaryData());
        else if (reading->error() == QKeychain::EntryNotFound)
            done(QByteArray());
        else
            done(keyringError(reading, u"read"_s));
    });
    job->start();
}

void McpKeyringTokenStore::write(const QString &key, const QByteArray &value, std::function<void(Result<void>)> done)
{
    auto *job = new QKeychain::WritePasswordJob(m_service);
    job->setInsecureFallback(false);
    job->setAutoDelete(true);
    job->setKey(key);
    job->setBinaryData(value);
    QObject::connect(job, &QKeychain::Job::finished, job, [done](QKeychain::Job *finished) {
        if (finished->error() == QKeychain::NoError)
            done({});
        else
            done(keyringError(finished, u"store"_s));
    });
    job->start();
}

void McpKeyringTokenStore::remove(const QString &key, std::function<void(Result<void>)> done)
{
    auto *job = new QKeychain::DeletePasswordJob(m_service);
    job->setInsecureFallback(false);
    job->setAutoDelete(true);
    job->setKey(key);
    QObject::connect(job, &QKeychain::Job::finished, job, [done](QKeychain::Job *finished) {
        if (finished->error() == QKeychain::NoError || finished->error() == QKeychain::EntryNotFound)
            done({});
        else
            done(keyringError(finished, u"delete"_s));
    });
    job->start();
}

#else

namespace {

Error unavailable()
{
    return Error(Error::Code::NotFound, u"this Switchboard was built without qtkeychain: no system keyring"_s);
}

} // namespace

bool McpKeyringTokenStore::isAvailable()
{
    return false;
}

void McpKeyringTokenStore::read(const QString &, std::function<void(Result<QByteArray>)> done)
{
    QMetaObject::invokeMethod(QCoreApplication::instance(), [done] { done(unavailable()); }, Qt::QueuedConnection);
}

void McpKeyringTokenStore::write(const QString &, const QByteArray &, std::function<void(Result<void>)> done)
{
    QMetaObject::invokeMethod(QCoreApplication::instance(), [done] { done(unavailable()); }, Qt::QueuedConnection);
}

void McpKeyringTokenStore::remove(const QString &, std::function<void(Result<void>)> done)
{
    QMetaObject::invokeMethod(QCoreApplication::instance(), [done] { done(unavailable()); }, Qt::QueuedConnection);
}

#endif

} // namespace Switchboard
