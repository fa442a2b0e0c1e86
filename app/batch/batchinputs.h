#pragma once

// The rows of a batch (`switchboard batch WORKFLOW --inputs FILE`): one run
// of the workflow per row, its inputs read from JSON Lines or CSV and
// checked against the workflow's inputs before anything runs.

#include <switchboard/result.h>

#include <QJsonObject>
#include <QList>
#include <QString>

namespace Switchboard {
struct Workflow;
}

namespace Switchboard::Cli {

struct BatchRow
{
    int index = 0;       ///< from 0, in the file's order (what --shard and the journal count)
    int line = 0;        ///< where it is in the file, from 1
    QJsonObject inputs;  ///< complete: checked, with the defaults of the inputs it does not give
};

struct BatchInputs
{
    QList<BatchRow> rows;
    /// SHA-256 of the file's bytes (hex): with the workflow's, it names the batch.
    QString hash;
};

/// Reads `fileName` ("-": standard input): CSV when its name ends in .csv
/// (a header row naming inputs, then one row per run, RFC 4180 quoting; an
/// empty field is an input not given, so it takes its default), else JSON
/// Lines (one object per line, input names to values of their type; blank
/// lines skipped). A path input's relative value is made absolute against
/// the current directory, as `--input` does. Every mistake is an error
/// "FILE:LINE: ..." naming the input; the first one is returned.
Result<BatchInputs> readBatchInputs(const QString &fileName, const Workflow &workflow);

/// The same for bytes already read (`fileName` only names them in errors).
Result<BatchInputs> parseBatchInputs(const QByteArray &bytes, const QString &fileName, bool csv,
                                     const Workflow &workflow);

} // namespace Switchboard::Cli
