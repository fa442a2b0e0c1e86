#pragma once

// The kernel's Landlock ABI version, as a test that needs Landlock's
// confinement asks before it expects a refusal (0: the kernel has none, and
// a plugin host says so and goes on without it).

#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace Switchboard::Test {

inline int kernelLandlockAbi()
{
    const long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return abi < 0 ? 0 : int(abi);
}

} // namespace Switchboard::Test
