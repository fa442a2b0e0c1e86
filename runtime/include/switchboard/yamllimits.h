#pragma once

#include <switchboard/switchboard_export.h>

#include <QtGlobal>

namespace Switchboard {

/// Bounds on reading a YAML file: a workflow (WorkflowLoader), an emulator
/// script or agents file (Emulator). They keep a hostile or broken file from
/// taking the memory or the time of the program that reads it: a file above
/// a limit is refused with an Error that names the file, and for the limits
/// on the document, the line and column where it went over (for an alias,
/// the alias).
///
/// Besides these limits, a reader always refuses a path that is no regular
/// file (a directory, a FIFO, a device), text that is not UTF-8, a second
/// YAML document in one file and an alias that repeats a node it is part of
/// (a cycle).
struct SWITCHBOARD_EXPORT YamlLimits
{
    /// The largest file read, in bytes; a larger one is refused before it is
    /// read (Error::Code::FileTooLarge). Text given as bytes (loadFromString(),
    /// Emulator::setScript()) is not checked against it.
    qint64 maxFileSize = 4 * 1024 * 1024;
    /// The most nodes (scalars, keys, sequences and mappings) a document may
    /// hold, each alias counted as the nodes it repeats
    /// (Error::Code::DocumentTooLarge).
    qint64 maxNodes = 250'000;
    /// The most bytes of scalar text (keys and values) a document may hold,
    /// each alias counted as the text it repeats (Error::Code::DocumentTooLarge).
    qint64 maxTextBytes = 16 * 1024 * 1024;
    /// How deep nodes may nest: the top-level value is at depth 1, its items
    /// (and keys) at depth 2, and so on, aliases counted as what they repeat
    /// (Error::Code::DocumentTooLarge).
    int maxDepth = 100;

    friend bool operator==(const YamlLimits &, const YamlLimits &) = default;
};

} // namespace Switchboard
