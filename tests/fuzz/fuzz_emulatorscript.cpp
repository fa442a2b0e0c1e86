// libFuzzer target for the emulator's script loader (scripts and agents
// files): YAML text in, a Script or a positioned error out. Whatever the
// text, parsing must end (the harness's -timeout) in bounded memory
// (-rss_limit_mb); an error names the file it was given, with a line and
// column from 1 where it has any; parsing the same text again gives the
// same result.

#include "emulator/script_p.h"

#include <QByteArray>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace Switchboard;
using namespace Switchboard::EmulatorInternal;

namespace {

[[noreturn]] void violated(const char *what, const QString &detail = {})
{
    std::fprintf(stderr, "fuzz_emulatorscript: property violated: %s\n%s\n", what, qPrintable(detail));
    std::abort();
}

const QString fileName = QStringLiteral("fuzz.yaml");

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray yaml(reinterpret_cast<const char *>(data), qsizetype(size));
    const Result<Script> script = Script::parse(yaml, fileName);
    if (!script) {
        const Error error = script.error();
        if (!error.location || error.location->file != fileName)
            violated("an error without its file", error.toString());
        const SourceLocation &at = *error.location;
        if (!(at.line == 0 && at.column == 0) && (at.line < 1 || at.column < 1))
            violated("an error at no line and column", error.toString());
        if (error.message.isEmpty() || error.code == Error::Code::NoError)
            violated("an error that says nothing", error.toString());
    } else if (script->fileName != fileName) {
        violated("a script that forgot its file");
    }
    const Result<Script> again = Script::parse(yaml, fileName);
    if (bool(again) != bool(script) || (!script && !(again.error() == script.error())))
        violated("parsing the same text twice gave two results");
    return 0;
}
