// Uses the installed headers and library: reads an entry and prints it back.
#include <switchboard/entries.h>
#include <switchboard/version.h>

#include <QCoreApplication>
#include <QJsonDocument>
#include <QTextStream>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const auto json = QJsonDocument::fromJson(R"({"role":"user","content":"hello"})").object();
    const Switchboard::Result<Switchboard::Entry> entry = Switchboard::Entry::fromJson(json);
    if (!entry)
        return 1;
    QTextStream(stdout) << "switchboard " << SWITCHBOARD_VERSION_STRING << ' ' << entry->type() << ' '
                        << entry->as<Switchboard::MessageInputEntry>()->content.text() << '\n';
    return 0;
}
