// libFuzzer target for the workflow loader: YAML text in, a Workflow or
// positioned errors out. Whatever the text, loading must end (the harness's
// -timeout) in bounded memory (-rss_limit_mb), and:
//  - a failed load has errors, the first being the one returned, in file
//    order, each located in the file it was given (line and column from 1,
//    or 0:0 for a problem of the file as a whole);
//  - a successful load has steps in an order where each step comes after
//    every step it depends on, and no errors;
//  - loading the same text again gives the same result.

#include <switchboard/workflow.h>

#include <QByteArray>
#include <QSet>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace Switchboard;

namespace {

[[noreturn]] void violated(const char *what, const QString &detail = {})
{
    std::fprintf(stderr, "fuzz_workflowloader: property violated: %s\n%s\n", what, qPrintable(detail));
    std::abort();
}

const QString fileName = QStringLiteral("fuzz.yaml");

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray yaml(reinterpret_cast<const char *>(data), qsizetype(size));
    WorkflowLoader loader;
    const Result<Workflow> loaded = loader.loadFromString(yaml, fileName, QStringLiteral("/nonexistent-dir"));
    const QList<Error> errors = loader.errors();
    if (!loaded) {
        if (errors.isEmpty() || !(errors.first() == loaded.error()))
            violated("a failed load's first error is the one it returned", loaded.error().toString());
        std::pair<int, int> previous{0, 0};
        for (const Error &error : errors) {
            if (!error.location || error.location->file != fileName)
                violated("an error without its file", error.toString());
            const SourceLocation &at = *error.location;
            const bool whole = at.line == 0 && at.column == 0;
            if (!whole && (at.line < 1 || at.column < 1))
                violated("an error at no line and column", error.toString());
            if (error.message.isEmpty() || error.code == Error::Code::NoError)
                violated("an error that says nothing", error.toString());
            if (std::pair(at.line, at.column) < previous)
                violated("errors out of file order", error.toString());
            previous = {at.line, at.column};
        }
    } else {
        if (!errors.isEmpty())
            violated("a successful load with errors", errors.first().toString());
        if (loaded->steps.isEmpty())
            violated("a workflow without steps");
        QSet<QString> placed;
        for (const WorkflowStep &step : loaded->steps) {
            for (const QString &dependency : step.dependencies) {
                if (!placed.contains(dependency))
                    violated("a step before a step it depends on", step.id + QStringLiteral(" on ") + dependency);
            }
            placed.insert(step.id);
        }
    }

    WorkflowLoader again;
    const Result<Workflow> second = again.loadFromString(yaml, fileName, QStringLiteral("/nonexistent-dir"));
    if (bool(second) != bool(loaded) || (loaded && !(*second == *loaded)) || again.errors() != errors)
        violated("loading the same text twice gave two results");
    return 0;
}
