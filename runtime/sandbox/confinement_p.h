#pragma once

#include "sandbox/sandboxpolicy_p.h"

#include <switchboard/result.h>

#include <QStringList>

namespace Switchboard {

/// What applyConfinement() did.
struct ConfinementReport
{
    /// The kernel's Landlock ABI version (0: none), after SandboxPolicy::maximumLandlockAbi.
    int landlockAbi = 0;
    /// One line per measure in force, e.g. "RLIMIT_AS 4096 MiB",
    /// "Landlock ABI 7: 21 paths", "seccomp filter: 52 system calls denied".
    QStringList applied;
    /// One line per measure the kernel (or the build) lacks, naming it and
    /// why, e.g. "Landlock TCP rules: the kernel's Landlock ABI is 3, they need 4".
    QStringList unavailable;
};

/// Confines the calling process, for good, before it loads a plugin (the
/// plugin host): no_new_privs, the policy's resource limits, a Landlock
/// ruleset of its paths and TCP ports, and a seccomp filter that answers
/// EPERM to what no tool needs (exec, ptrace, mount, kernel modules, new
/// processes; threads stay allowed). Call it while the process has one
/// thread: Landlock and seccomp apply to the calling thread and the threads
/// it creates later, so with another thread running it fails. A measure the kernel lacks is logged once as a warning
/// (switchboard.sandbox) and listed in `unavailable`; the rest still
/// applies. An Error (PluginInitializationFailed) names what failed; the
/// process may then be partly confined and should exit. Linux only: elsewhere
/// it fails saying so.
Result<ConfinementReport> applyConfinement(const SandboxPolicy &policy);

} // namespace Switchboard
