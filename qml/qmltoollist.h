#pragma once

#include <switchboard/toolregistry.h>

#include <QAbstractListModel>
#include <QtQml/qqmlregistration.h>

namespace Switchboard::Qml {

/// `ToolList` (Client.tools): the tools a Client's registry offers, one row
/// per tool, rebuilt when the registry's tools change. Roles: `name`,
/// `qualifiedName` ("calculator/calculate"), `source` (the plugin's or
/// source's id), `description`, `requiresConfirmation`, `parameters` (the
/// JSON Schema as indented text), `ambiguous` (another source has the name).
class ToolListModel : public QAbstractListModel
{
    Q_OBJECT
    QML_NAMED_ELEMENT(ToolList)
    QML_UNCREATABLE("a Client's tools are its `tools` property")
    Q_PROPERTY(int count READ rowCount NOTIFY countChanged)
public:
    enum Role {
        NameRole = Qt::UserRole + 1,
        QualifiedNameRole,
        SourceRole,
        DescriptionRole,
        RequiresConfirmationRole,
        ParametersRole,
        AmbiguousRole,
    };
    Q_ENUM(Role)

    explicit ToolListModel(ToolRegistry *registry, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;
    /// Every role of a row by its name.
    Q_INVOKABLE QVariantMap get(int row) const;

Q_SIGNALS:
    void countChanged();

private:
    void reload();

    ToolRegistry *m_registry;
    QList<ToolInfo> m_tools;
};

} // namespace Switchboard::Qml
