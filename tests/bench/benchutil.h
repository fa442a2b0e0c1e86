#pragma once

// What the client benchmarks (bench_stream, bench_toolloop) measure of their
// own process.

#include <sys/resource.h>

namespace SwitchboardBench {

/// User + system CPU seconds of this process so far.
inline double cpuSeconds()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

/// System (kernel) CPU seconds of this process so far: the part of
/// cpuSeconds() spent in system calls.
inline double systemCpuSeconds()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_stime.tv_sec) + double(usage.ru_stime.tv_usec) / 1e6;
}

/// Peak resident set size of this process so far, in MB (10^6 bytes).
inline double peakRssMB()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_maxrss) * 1024.0 / 1e6;   // ru_maxrss is in KiB
}

} // namespace SwitchboardBench
