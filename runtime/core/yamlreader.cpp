#include "core/yamlreader_p.h"

#include <QFile>
#include <QLocale>

#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace Switchboard::YamlReader {

namespace {

// "4 MiB" for a round size, the bytes otherwise.
QString sizeText(qint64 bytes)
{
    if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) == 0)
        return u"%1 MiB"_s.arg(bytes / (1024 * 1024));
    if (bytes >= 1024 && bytes % 1024 == 0)
        return u"%1 KiB"_s.arg(bytes / 1024);
    return u"%1 bytes"_s.arg(bytes);
}

QString fileKind(mode_t mode)
{
    if (S_ISFIFO(mode))
        return u"a FIFO (named pipe)"_s;
    if (S_ISCHR(mode))
        return u"a character device"_s;
    if (S_ISBLK(mode))
        return u"a block device"_s;
    if (S_ISSOCK(mode))
        return u"a socket"_s;
    return u"not a regular file"_s;
}

// Thrown by the guard below, through yaml-cpp's parser, to stop it at once.
struct GuardFailure
{
    Error error;
};

// Follows the parser's events before yaml-cpp builds any node: counts the
// nodes and the text of the document with every alias expanded (an alias
// adds what its anchor's node holds, itself with its aliases expanded) and
// how deep it nests, and refuses an alias to a node still open (a cycle) and
// a second document. Memory: one record per anchor and one per open
// collection; time: one step per event. Its stop at maxDepth also keeps
// yaml-cpp's own recursive descent shallow.
class Guard : public YAML::EventHandler
{
public:
    Guard(const QString &fileName, const YamlLimits &limits) : m_fileName(fileName), m_limits(limits) {}

    void OnDocumentStart(const YAML::Mark &mark) override
    {
        if (++m_documents > 1)
            fail(mark, Error::Code::YamlSyntax,
                 u"a second YAML document starts here (a file holds one document; remove the '---' line "
                 u"and what follows, or split the file)"_s);
    }
    void OnDocumentEnd() override {}

    void OnNull(const YAML::Mark &mark, YAML::anchor_t anchor) override { leaf(mark, anchor, 0); }
    void OnScalar(const YAML::Mark &mark, const std::string &, YAML::anchor_t anchor, const std::string &value) override
    {
        leaf(mark, anchor, qint64(value.size()));
    }
    void OnAnchor(const YAML::Mark &, const std::string &name) override { m_pendingName = name; }

    void OnAlias(const YAML::Mark &mark, YAML::anchor_t anchor) override
    {
        // yaml-cpp refuses an alias to an anchor not yet defined, so the record exists.
        if (anchor >= m_anchors.size())
            fail(mark, Error::Code::YamlSyntax, u"an alias to an unknown anchor"_s);
        const Anchor &target = m_anchors[anchor];
        const QString alias = u"the alias '*%1'"_s.arg(QString::fromStdString(target.name));
        if (target.open)
            fail(mark, Error::Code::DocumentTooLarge,
                 u"%1 repeats a node that contains it, so it would never end (an alias cannot refer to "
                 u"its own ancestor)"_s.arg(alias));
        if (depth() - 1 + target.levels > m_limits.maxDepth)
            fail(mark, Error::Code::DocumentTooLarge,
                 u"%1 nests the document deeper than %2 levels"_s.arg(alias).arg(m_limits.maxDepth));
        add(mark, target.nodes, target.bytes, alias);
        noteLevels(target.levels);
    }

    void OnSequenceStart(const YAML::Mark &mark, const std::string &, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override
    {
        open(mark, anchor);
    }
    void OnSequenceEnd() override { close(); }
    void OnMapStart(const YAML::Mark &mark, const std::string &, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override
    {
        open(mark, anchor);
    }
    void OnMapEnd() override { close(); }

private:
    struct Anchor
    {
        std::string name;
        bool open = false;
        qint64 nodes = 0;
        qint64 bytes = 0;
        int levels = 0;   // 1 for a scalar, 1 + the deepest item's for a collection
    };
    struct Frame
    {
        YAML::anchor_t anchor;
        qint64 nodesBefore;
        qint64 bytesBefore;
        int childLevels = 0;
    };

    [[noreturn]] void fail(const YAML::Mark &mark, Error::Code code, const QString &message) const
    {
        Error error(code, message);
        error.location = location(m_fileName, mark);
        throw GuardFailure{error};
    }

    // The depth a node starting now has (the top-level value is 1).
    int depth() const { return int(m_stack.size()) + 1; }

    void add(const YAML::Mark &mark, qint64 nodes, qint64 bytes, const QString &alias = {})
    {
        m_nodes += nodes;
        m_bytes += bytes;
        if (m_nodes > m_limits.maxNodes)
            fail(mark, Error::Code::DocumentTooLarge,
                 alias.isEmpty()
                     ? u"the document has more than %1 nodes"_s.arg(m_limits.maxNodes)
                     : u"%1 repeats %2 nodes, which makes the document larger than %3 nodes (an alias counts "
                       u"as the nodes it repeats)"_s.arg(alias).arg(nodes).arg(m_limits.maxNodes));
        if (m_bytes > m_limits.maxTextBytes)
            fail(mark, Error::Code::DocumentTooLarge,
                 alias.isEmpty()
                     ? u"the document has more than %1 of text"_s.arg(sizeText(m_limits.maxTextBytes))
                     : u"%1 repeats %2 bytes of text, which makes the document's text larger than %3 (an alias "
                       u"counts as the text it repeats)"_s.arg(alias).arg(bytes).arg(sizeText(m_limits.maxTextBytes)));
    }

    void noteLevels(int levels)
    {
        if (!m_stack.empty())
            m_stack.back().childLevels = std::max(m_stack.back().childLevels, levels);
    }

    Anchor &record(YAML::anchor_t anchor)
    {
        if (anchor >= m_anchors.size())
            m_anchors.resize(anchor + 1);
        Anchor &a = m_anchors[anchor];
        a.name = std::move(m_pendingName);
        m_pendingName.clear();
        return a;
    }

    void checkDepth(const YAML::Mark &mark) const
    {
        if (depth() > m_limits.maxDepth)
            fail(mark, Error::Code::DocumentTooLarge,
                 u"the document nests deeper than %1 levels"_s.arg(m_limits.maxDepth));
    }

    void leaf(const YAML::Mark &mark, YAML::anchor_t anchor, qint64 bytes)
    {
        checkDepth(mark);
        add(mark, 1, bytes);
        if (anchor != YAML::NullAnchor) {
            Anchor &a = record(anchor);
            a.nodes = 1;
            a.bytes = bytes;
            a.levels = 1;
        }
        noteLevels(1);
    }

    void open(const YAML::Mark &mark, YAML::anchor_t anchor)
    {
        checkDepth(mark);
        m_stack.push_back(Frame{anchor, m_nodes, m_bytes});
        add(mark, 1, 0);
        if (anchor != YAML::NullAnchor)
            record(anchor).open = true;
    }

    void close()
    {
        const Frame frame = m_stack.back();
        m_stack.pop_back();
        const int levels = frame.childLevels + 1;
        if (frame.anchor != YAML::NullAnchor) {
            Anchor &a = m_anchors[frame.anchor];
            a.open = false;
            a.nodes = m_nodes - frame.nodesBefore;
            a.bytes = m_bytes - frame.bytesBefore;
            a.levels = levels;
        }
        noteLevels(levels);
    }

    const QString &m_fileName;
    const YamlLimits &m_limits;
    int m_documents = 0;
    qint64 m_nodes = 0;
    qint64 m_bytes = 0;
    std::string m_pendingName;
    std::vector<Anchor> m_anchors;
    std::vector<Frame> m_stack;
};

// 1-based line and column of a byte offset, the column counted in bytes as
// yaml-cpp counts it (so every position in a file is in one unit).
SourceLocation locationOfOffset(const QString &fileName, QByteArrayView text, qsizetype offset)
{
    const QByteArrayView before = text.first(offset);
    const qsizetype lineStart = before.lastIndexOf('\n') + 1;
    return SourceLocation{fileName, int(before.count('\n')) + 1, int(offset - lineStart) + 1};
}

} // namespace

qsizetype invalidUtf8Offset(QByteArrayView text)
{
    const auto *bytes = reinterpret_cast<const unsigned char *>(text.data());
    const qsizetype size = text.size();
    qsizetype i = 0;
    while (i < size) {
        const unsigned char lead = bytes[i];
        if (lead < 0x80) {
            ++i;
            continue;
        }
        int length = 0;
        unsigned char low = 0x80; // the range of the second byte, narrowed for the lead bytes
        unsigned char high = 0xBF; // that would allow overlong forms, surrogates or > U+10FFFF
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            if (lead == 0xE0)
                low = 0xA0;
            else if (lead == 0xED)
                high = 0x9F;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            if (lead == 0xF0)
                low = 0x90;
            else if (lead == 0xF4)
                high = 0x8F;
        } else {
            return i;
        }
        if (i + length > size)
            return i;
        if (bytes[i + 1] < low || bytes[i + 1] > high)
            return i;
        for (int k = 2; k < length; ++k) {
            if (bytes[i + k] < 0x80 || bytes[i + k] > 0xBF)
                return i;
        }
        i += length;
    }
    return -1;
}

Result<QByteArray> readFile(const QString &path, qint64 maxSize, Error::Code code)
{
    // Opened without blocking (a FIFO would wait for a writer) and checked on
    // the descriptor it reads, so the file cannot be swapped in between.
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return Error(code, QString::fromLocal8Bit(std::strerror(errno)));
    QFile file;
    if (!file.open(fd, QIODevice::ReadOnly, QFileDevice::AutoCloseHandle)) {
        ::close(fd);
        return Error(code, file.errorString());
    }
    struct stat status = {};
    if (::fstat(fd, &status) != 0)
        return Error(code, QString::fromLocal8Bit(std::strerror(errno)));
    if (S_ISDIR(status.st_mode))
        return Error(code, u"it is a directory"_s);
    if (!S_ISREG(status.st_mode))
        return Error(code, u"it is %1, not a regular file"_s.arg(fileKind(status.st_mode)));
    const auto tooLarge = [&](qint64 size, bool atLeast) {
        return Error(Error::Code::FileTooLarge,
                     u"it is %1%2 bytes, more than the limit of %3"_s.arg(atLeast ? u"at least "_s : QString())
                         .arg(size)
                         .arg(sizeText(maxSize)));
    };
    if (status.st_size > maxSize)
        return tooLarge(status.st_size, false);
    // The file may grow after fstat(): never read more than one byte past the
    // limit, and allocate as the bytes come, not for the limit.
    QByteArray bytes;
    bytes.reserve(qsizetype(status.st_size) + 1);
    while (bytes.size() <= maxSize) {
        // Written so that no limit, however large (a caller's "none"), overflows.
        const QByteArray chunk = file.read(std::min<qint64>(maxSize - bytes.size(), 1024 * 1024 - 1) + 1);
        if (chunk.isEmpty())
            break;
        bytes += chunk;
    }
    if (file.error() != QFileDevice::NoError)
        return Error(code, file.errorString());
    if (bytes.size() > maxSize)
        return tooLarge(bytes.size(), true);
    return bytes;
}

Result<YAML::Node> parse(const QByteArray &text, const QString &fileName, const YamlLimits &limits)
{
    if (const qsizetype offset = invalidUtf8Offset(text); offset >= 0) {
        Error error(Error::Code::YamlSyntax,
                    u"the text is not valid UTF-8 (byte 0x%1 here); save the file as UTF-8"_s.arg(
                        quint8(text.at(offset)), 2, 16, QChar(u'0')));
        error.location = locationOfOffset(fileName, text, offset);
        return error;
    }
    const std::string source = text.toStdString();
    try {
        std::istringstream stream(source);
        YAML::Parser parser(stream);
        Guard guard(fileName, limits);
        while (parser.HandleNextDocument(guard)) {
        }
        return YAML::Load(source);
    } catch (const GuardFailure &failure) {
        return failure.error;
    } catch (const YAML::Exception &exception) {
        return syntaxError(fileName, exception);
    }
}

} // namespace Switchboard::YamlReader
