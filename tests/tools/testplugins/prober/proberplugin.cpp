#include "proberplugin.h"

#include <QFile>
#include <QJsonObject>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace Qt::StringLiterals;
using namespace Switchboard;

namespace {

QString errnoName(int error)
{
    switch (error) {
    case EACCES: return u"EACCES"_s;
    case EPERM: return u"EPERM"_s;
    case ENOENT: return u"ENOENT"_s;
    case ENOMEM: return u"ENOMEM"_s;
    case EAGAIN: return u"EAGAIN"_s;
    case ENOSYS: return u"ENOSYS"_s;
    default: return QString::fromUtf8(std::strerror(error));
    }
}

QJsonValue openFile(const QString &path)
{
    const QByteArray name = QFile::encodeName(path);
    const int fd = ::open(name.constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errnoName(errno);
    qint64 size = 0;
    char buffer[4096];
    for (ssize_t count; (count = ::read(fd, buffer, sizeof buffer)) > 0;)
        size += count;
    ::close(fd);
    return u"read %1 bytes"_s.arg(size);
}

QJsonValue forkOnce()
{
    const pid_t child = ::fork();
    if (child < 0)
        return errnoName(errno);
    if (child == 0)
        ::_exit(0);
    ::waitpid(child, nullptr, 0);
    return u"forked"_s;
}

QJsonValue hog()
{
    // Address space, not memory: the blocks are never touched, so the
    // limit (RLIMIT_AS) is what stops it, not the machine.
    constexpr std::size_t Block = std::size_t(16) << 20;
    std::vector<void *> blocks;
    while (blocks.size() < 4096) {
        void *block = std::malloc(Block);
        if (!block)
            break;
        blocks.push_back(block);
    }
    const qint64 mib = qint64(blocks.size()) * 16;
    for (void *block : blocks)
        std::free(block);
    return mib;
}

} // namespace

QStringList ProberPlugin::toolNames() const
{
    return {u"open_file"_s, u"fork"_s, u"hog"_s};
}

ToolInvocation *ProberPlugin::invoke(const ToolCall &call, QObject *parent)
{
    const QString &tool = call.toolName;
    QJsonValue result;
    if (tool == u"open_file")
        result = openFile(call.arguments.value(u"path"_s).toString());
    else if (tool == u"fork")
        result = forkOnce();
    else
        result = hog();
    return ToolInvocation::fromOutcome(result, parent);
}
