#include "qmltoollist.h"

#include <QJsonDocument>

namespace Switchboard::Qml {

ToolListModel::ToolListModel(ToolRegistry *registry, QObject *parent)
    : QAbstractListModel(parent)
    , m_registry(registry)
    , m_tools(registry->tools())
{
    connect(registry, &ToolRegistry::toolsChanged, this, &ToolListModel::reload);
}

void ToolListModel::reload()
{
    const int before = m_tools.size();
    beginResetModel();
    m_tools = m_registry->tools();
    endResetModel();
    if (m_tools.size() != before)
        Q_EMIT countChanged();
}

int ToolListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_tools.size());
}

QVariant ToolListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ToolInfo &tool = m_tools.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return tool.metaData.name;
    case QualifiedNameRole:
        return tool.qualifiedName();
    case SourceRole:
        return tool.sourceId;
    case DescriptionRole:
        return tool.metaData.description;
    case RequiresConfirmationRole:
        return tool.metaData.requiresConfirmation;
    case ParametersRole:
        return QString::fromUtf8(QJsonDocument(tool.metaData.parameters).toJson(QJsonDocument::Indented));
    case AmbiguousRole:
        return tool.isAmbiguous;
    default:
        return {};
    }
}

QHash<int, QByteArray> ToolListModel::roleNames() const
{
    return {{NameRole, "name"},
            {QualifiedNameRole, "qualifiedName"},
            {SourceRole, "source"},
            {DescriptionRole, "description"},
            {RequiresConfirmationRole, "requiresConfirmation"},
            {ParametersRole, "parameters"},
            {AmbiguousRole, "ambiguous"}};
}

QVariantMap ToolListModel::get(int row) const
{
    QVariantMap values;
    if (row < 0 || row >= rowCount())
        return values;
    const QHash<int, QByteArray> names = roleNames();
    for (auto it = names.constBegin(); it != names.constEnd(); ++it)
        values.insert(QString::fromUtf8(it.value()), data(index(row), it.key()));
    return values;
}

} // namespace Switchboard::Qml
