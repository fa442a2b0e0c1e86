// WorkflowLoader: a workflow file's bytes (read within YamlLimits), its one
// YAML document (YamlReader::parse()), and the reader that turns it into a
// Workflow or into every problem in file order (workflowreader_p.h).

#include <switchboard/workflow.h>

#include "core/yamlreader_p.h"
#include "workflow/workflowreader_p.h"

#include <QFileInfo>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace Switchboard {

WorkflowLoader::WorkflowLoader(const ToolRegistry *registry) : m_registry(registry) {}

Result<Workflow> WorkflowLoader::load(const QString &path)
{
    const Result<QByteArray> yaml = YamlReader::readFile(path, m_limits.maxFileSize, Error::Code::WorkflowError);
    if (!yaml) {
        Error error = yaml.error();
        error.message = u"cannot read the workflow: "_s + error.message;
        error.location = SourceLocation{path, 0, 0};
        m_errors = {error};
        return error;
    }
    return loadFromString(*yaml, path, QFileInfo(path).absolutePath());
}

Result<Workflow> WorkflowLoader::loadFromString(const QByteArray &yaml, const QString &fileName, const QString &baseDir)
{
    m_errors.clear();
    const Result<YAML::Node> root = YamlReader::parse(yaml, fileName, m_limits);
    if (!root) {
        m_errors = {root.error()};
        return m_errors.first();
    }
    WorkflowInternal::WorkflowReader reader(fileName, baseDir, yaml, m_registry);
    std::optional<Workflow> workflow;
    try {
        workflow = reader.read(*root);
    } catch (const YAML::Exception &exception) {
        m_errors = {YamlReader::syntaxError(fileName, exception)};
        return m_errors.first();
    }
    if (workflow)
        return *workflow;
    m_errors = reader.errors();
    // In file order; problems found at one place keep the order they were found in.
    std::stable_sort(m_errors.begin(), m_errors.end(), [](const Error &a, const Error &b) {
        const SourceLocation &l = *a.location;
        const SourceLocation &r = *b.location;
        return std::pair(l.line, l.column) < std::pair(r.line, r.column);
    });
    return m_errors.first();
}

} // namespace Switchboard
