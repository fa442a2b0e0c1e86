#include "namedloggingcategory_p.h"

namespace Switchboard {

namespace {

struct NamedLoggingCategory
{
    explicit NamedLoggingCategory(QByteArray categoryName)
        : name(std::move(categoryName)), category(name.constData(), QtWarningMsg)
    {
    }
    const QByteArray name;
    const QLoggingCategory category;
};

} // namespace

std::shared_ptr<const QLoggingCategory> makeNamedLoggingCategory(const QByteArray &name)
{
    auto named = std::make_shared<NamedLoggingCategory>(name);
    return std::shared_ptr<const QLoggingCategory>(named, &named->category);
}

} // namespace Switchboard
