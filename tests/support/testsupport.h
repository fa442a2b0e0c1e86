#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace Switchboard::Test {

/// Reads a file under tests/data; fails the current test (QFAIL-style, via qFatal) if missing.
QByteArray readTestData(const QString &relativePath);

/// Parses JSON text that the test itself wrote; aborts on a syntax error.
QJsonObject jsonObject(const QByteArray &json);

} // namespace Switchboard::Test
