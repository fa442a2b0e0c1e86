#include "sandbox/confinement_p.h"

#include <QFile>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcSandbox, "switchboard.sandbox", QtWarningMsg)

using namespace Qt::StringLiterals;

#if !defined(__linux__)

namespace Switchboard {

Result<ConfinementReport> applyConfinement(const SandboxPolicy &)
{
    return Error(Error::Code::PluginInitializationFailed,
                 u"confining a plugin host is supported on Linux only (Landlock, seccomp)"_s);
}

} // namespace Switchboard

#else

#include <seccomp.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include <dirent.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

// Built with AddressSanitizer (GCC says so with __SANITIZE_ADDRESS__, clang
// only through __has_feature).
#if defined(__SANITIZE_ADDRESS__)
#  define SWITCHBOARD_SANDBOX_ASAN 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define SWITCHBOARD_SANDBOX_ASAN 1
#  endif
#endif
#ifdef SWITCHBOARD_SANDBOX_ASAN
// LeakSanitizer's entry point (sanitizer/lsan_interface.h), weak: present
// whenever ASan is.
extern "C" void __lsan_do_leak_check() __attribute__((weak));
#endif

// Debian 12's <linux/landlock.h> knows Landlock up to ABI 3; the kernel may
// have more. The newer constants and structures, as the kernel defines
// them; whether the kernel has them is asked at run time (its ABI version).
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#  define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)    // ABI 3
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#  define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)   // ABI 5
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#  define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)    // ABI 4
#  define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#  define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)  // ABI 6
#  define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif
#ifndef SYS_landlock_create_ruleset
#  define SYS_landlock_create_ruleset 444
#  define SYS_landlock_add_rule 445
#  define SYS_landlock_restrict_self 446
#endif

namespace Switchboard {

namespace {

// struct landlock_ruleset_attr of ABI 6. The kernel takes a shorter or
// longer structure (its size is passed) as long as the fields it does not
// know are zero, so the same one serves every ABI.
struct LandlockRulesetAttr
{
    __u64 handledAccessFs = 0;
    __u64 handledAccessNet = 0;   // ABI 4
    __u64 scoped = 0;             // ABI 6
};

// struct landlock_net_port_attr (ABI 4); rule type 2.
struct LandlockNetPortAttr
{
    __u64 allowedAccess = 0;
    __u64 port = 0;
};
constexpr int LandlockRuleNetPort = 2;

constexpr __u64 ReadAccess = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
constexpr __u64 WriteAccess = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE
    | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REFER
    | LANDLOCK_ACCESS_FS_TRUNCATE;
// The rights a rule on a file (not a directory) may carry; others are EINVAL.
constexpr __u64 FileAccess = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE
    | LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV;

// Everything Landlock's filesystem rules control at `abi`: what is not
// handled stays allowed everywhere, so the ruleset handles all it can.
__u64 handledFileSystemAccess(int abi)
{
    __u64 access = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;   // ABI 1: bits 0 to 12
    if (abi >= 2)
        access |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3)
        access |= LANDLOCK_ACCESS_FS_TRUNCATE;
    if (abi >= 5)
        access |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
    return access;
}

Error failure(const QString &what)
{
    return Error(Error::Code::PluginInitializationFailed, u"cannot confine the plugin host: "_s + what);
}

QString systemError(int error)
{
    return QString::fromLocal8Bit(strerror(error));
}

// A file descriptor closed at the end of its scope.
struct FileDescriptor
{
    int fd = -1;
    ~FileDescriptor()
    {
        if (fd >= 0)
            ::close(fd);
    }
};

void reportUnavailable(ConfinementReport &report, const QString &line)
{
    qCWarning(lcSandbox).noquote() << "plugin host confinement: not available:" << line;
    report.unavailable.append(line);
}

Result<void> applyResourceLimits(const SandboxPolicy::Limits &limits, ConfinementReport &report)
{
    struct Limit
    {
        int resource;
        const char *name;
        quint64 value;
        quint64 unit;
        const char *unitName;
    };
    const Limit table[] = {
        {RLIMIT_AS, "RLIMIT_AS", limits.addressSpaceMiB, 1 << 20, "MiB"},
        {RLIMIT_CPU, "RLIMIT_CPU", limits.cpuSeconds, 1, "s"},
        {RLIMIT_FSIZE, "RLIMIT_FSIZE", limits.fileSizeMiB, 1 << 20, "MiB"},
        {RLIMIT_NPROC, "RLIMIT_NPROC", limits.processes, 1, "processes"},
    };
    for (const Limit &limit : table) {
        if (limit.value == 0)
            continue;
#ifdef SWITCHBOARD_SANDBOX_ASAN
        // ASan reserves terabytes of address space for its shadow memory at
        // start: any address-space limit would make every allocation fail.
        if (limit.resource == RLIMIT_AS) {
            reportUnavailable(report, u"RLIMIT_AS: built with AddressSanitizer, which reserves terabytes of address space"_s);
            continue;
        }
#endif
        struct rlimit current;
        if (getrlimit(limit.resource, &current) != 0)
            return failure(u"getrlimit(%1): %2"_s.arg(QLatin1StringView(limit.name), systemError(errno)));
        rlim_t value = rlim_t(limit.value * limit.unit);
        // An unprivileged process cannot raise its hard limit: a lower
        // inherited one stays, and is the stricter anyway.
        if (current.rlim_max != RLIM_INFINITY && value > current.rlim_max)
            value = current.rlim_max;
        struct rlimit wanted = {value, value};
        // CPU: SIGXCPU at the soft limit says what happened; the hard one,
        // a second later, is SIGKILL for a process that ignores it.
        if (limit.resource == RLIMIT_CPU && value != current.rlim_max)
            wanted.rlim_max = value + 1;
        if (setrlimit(limit.resource, &wanted) != 0)
            return failure(u"setrlimit(%1, %2): %3"_s.arg(QLatin1StringView(limit.name)).arg(quint64(value)).arg(systemError(errno)));
        report.applied.append(u"%1 %2 %3"_s.arg(QLatin1StringView(limit.name)).arg(quint64(value) / limit.unit)
                                  .arg(QLatin1StringView(limit.unitName)));
    }
    // A write past RLIMIT_FSIZE then fails with EFBIG, which the tool
    // reports, instead of SIGXFSZ killing the host.
    ::signal(SIGXFSZ, SIG_IGN);
    return {};
}

Result<void> applyLandlock(const SandboxPolicy &policy, ConfinementReport &report)
{
    const long kernelAbi = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (kernelAbi < 0) {
        reportUnavailable(report, u"Landlock (filesystem and TCP rules): the kernel has none (%1)"_s.arg(systemError(errno)));
        return {};
    }
    if (policy.maximumLandlockAbi < 1) {
        reportUnavailable(report, u"Landlock (filesystem and TCP rules): turned off by the policy"_s);
        return {};
    }
    const int abi = int(std::min<long>(kernelAbi, policy.maximumLandlockAbi));
    report.landlockAbi = abi;

    LandlockRulesetAttr attributes;
    attributes.handledAccessFs = handledFileSystemAccess(abi);
    if (abi >= 4)
        attributes.handledAccessNet = LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
    // Signals and abstract UNIX sockets only within the host: it cannot
    // signal the runtime or talk to a desktop's session services.
    if (abi >= 6)
        attributes.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
    FileDescriptor ruleset{int(syscall(SYS_landlock_create_ruleset, &attributes, sizeof attributes, 0))};
    if (ruleset.fd < 0)
        return failure(u"landlock_create_ruleset: "_s + systemError(errno));

    int rules = 0;
    for (const SandboxPolicy::Path &path : policy.paths) {
        FileDescriptor target{::open(QFile::encodeName(path.path).constData(), O_PATH | O_CLOEXEC)};
        if (target.fd < 0) {
            if (path.optional && errno == ENOENT)
                continue;
            return failure(u"cannot open \"%1\" (%2) for its Landlock rule: %3"_s.arg(path.path, path.origin, systemError(errno)));
        }
        struct stat status;
        if (fstat(target.fd, &status) != 0)
            return failure(u"fstat \"%1\": %2"_s.arg(path.path, systemError(errno)));
        __u64 access = path.access == SandboxPolicy::Access::ReadWrite ? ReadAccess | WriteAccess : ReadAccess;
        if (!S_ISDIR(status.st_mode))
            access &= FileAccess;
        landlock_path_beneath_attr rule = {};
        rule.allowed_access = access & attributes.handledAccessFs;
        rule.parent_fd = target.fd;
        if (syscall(SYS_landlock_add_rule, ruleset.fd, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0)
            return failure(u"landlock_add_rule for \"%1\" (%2): %3"_s.arg(path.path, path.origin, systemError(errno)));
        ++rules;
    }
    QStringList ports;
    if (abi >= 4) {
        for (const quint16 port : policy.connectPorts) {
            LandlockNetPortAttr rule;
            rule.allowedAccess = LANDLOCK_ACCESS_NET_CONNECT_TCP;
            rule.port = port;
            if (syscall(SYS_landlock_add_rule, ruleset.fd, LandlockRuleNetPort, &rule, 0) != 0)
                return failure(u"landlock_add_rule for TCP port %1: %2"_s.arg(port).arg(systemError(errno)));
            ports.append(QString::number(port));
        }
    }
    if (syscall(SYS_landlock_restrict_self, ruleset.fd, 0) != 0)
        return failure(u"landlock_restrict_self: "_s + systemError(errno));

    report.applied.append(u"Landlock ABI %1: %2 paths"_s.arg(abi).arg(rules));
    if (abi >= 4)
        report.applied.append(u"Landlock TCP: connect to %1, no bind"_s.arg(ports.isEmpty() ? u"no port"_s : u"ports "_s + ports.join(u", "_s)));
    else
        reportUnavailable(report, u"Landlock TCP rules: the kernel's Landlock ABI is %1, they need 4"_s.arg(abi));
    if (abi < 3)
        reportUnavailable(report, u"Landlock truncation control: the kernel's Landlock ABI is %1, it needs 3 (files under read-only paths can be truncated)"_s.arg(abi));
    if (abi >= 6)
        report.applied.append(u"Landlock scopes: signals and abstract UNIX sockets"_s);
    else
        reportUnavailable(report, u"Landlock scopes (signals, abstract UNIX sockets): the kernel's Landlock ABI is %1, they need 6"_s.arg(abi));
    return {};
}

// What no tool needs: running programs, debugging other processes,
// mounting, kernel modules and images, BPF, performance counters, other
// processes' memory, the kernel's keyrings, namespaces, io_uring (whose
// operations seccomp would not see), and the system's clock, swap, reboot.
// Most need privileges the host lacks anyway; denied here as well, so that
// a hole elsewhere is not enough.
constexpr const char *DeniedSystemCalls[] = {
    "execve", "execveat",
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
    "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
    "mount_setattr",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
    "bpf", "perf_event_open", "userfaultfd",
    "keyctl", "add_key", "request_key",
    "setns", "unshare",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "fork", "vfork",
    "swapon", "swapoff", "reboot", "acct", "quotactl", "iopl", "ioperm", "settimeofday", "clock_settime",
    "sethostname", "setdomainname", "syslog", "vhangup", "name_to_handle_at", "open_by_handle_at",
};

Result<void> applySeccomp(ConfinementReport &report)
{
    struct Context
    {
        scmp_filter_ctx context = seccomp_init(SCMP_ACT_ALLOW);
        ~Context()
        {
            if (context)
                seccomp_release(context);
        }
    } filter;
    if (!filter.context)
        return failure(u"seccomp_init failed"_s);

    int denied = 0;
    for (const char *name : DeniedSystemCalls) {
        const int number = seccomp_syscall_resolve_name(name);
        if (number == __NR_SCMP_ERROR)
            continue;   // not a system call of this architecture
        if (const int error = seccomp_rule_add(filter.context, SCMP_ACT_ERRNO(EPERM), number, 0); error != 0)
            return failure(u"seccomp_rule_add(%1): %2"_s.arg(QLatin1StringView(name), systemError(-error)));
        ++denied;
    }
    // New processes: a clone without CLONE_THREAD (fork() is one), while
    // threads (pthread_create, so QThread) stay allowed. The flags are the
    // first argument on x86-64 and arm64.
    // (Spelt out: SCMP_A0() is a compound literal, which is not C++.)
    const scmp_arg_cmp newProcess = {0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0};
    if (const int error = seccomp_rule_add_array(filter.context, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1, &newProcess);
        error != 0)
        return failure(u"seccomp_rule_add(clone): "_s + systemError(-error));
    // clone3 passes its flags in memory, which a filter cannot read. ENOSYS
    // makes glibc fall back to clone, whose flags the rule above checks.
    if (const int error = seccomp_rule_add(filter.context, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0); error != 0)
        return failure(u"seccomp_rule_add(clone3): "_s + systemError(-error));

    if (const int error = seccomp_load(filter.context); error != 0) {
        // EINVAL: a kernel without seccomp filters (CONFIG_SECCOMP_FILTER).
        if (error == -EINVAL || error == -ENOSYS) {
            reportUnavailable(report, u"seccomp filter: the kernel refused it (%1)"_s.arg(systemError(-error)));
            return {};
        }
        return failure(u"seccomp_load: "_s + systemError(-error));
    }
    report.applied.append(u"seccomp: %1 system calls denied, new processes denied, threads allowed"_s.arg(denied));
    return {};
}

// The threads of this process (/proc/self/task), or -1 when /proc cannot tell.
int threadCount()
{
    DIR *tasks = ::opendir("/proc/self/task");
    if (!tasks)
        return -1;
    int count = 0;
    while (const dirent *entry = ::readdir(tasks)) {
        if (entry->d_name[0] != '.')
            ++count;
    }
    ::closedir(tasks);
    return count;
}

} // namespace

Result<ConfinementReport> applyConfinement(const SandboxPolicy &policy)
{
    ConfinementReport report;
    // Landlock confines the calling thread and the threads it starts later,
    // never one that is already running: a thread started before would stay
    // free, and the plugin could run its code there.
    if (const int threads = threadCount(); threads > 1)
        return failure(u"the process has %1 threads; it must confine itself before it starts any (Landlock applies to the calling thread and those it starts later)"_s.arg(threads));
#ifdef SWITCHBOARD_SANDBOX_ASAN
    // LeakSanitizer's check at exit stops the process's threads with
    // ptrace from a child it clones, which the filter denies: check now,
    // while it can (this also ends LeakSanitizer's work for the process).
    if (__lsan_do_leak_check)
        __lsan_do_leak_check();
#endif
    // Needed for an unprivileged process to install a seccomp filter or a
    // Landlock ruleset; and no exec could gain privileges through setuid.
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return failure(u"prctl(PR_SET_NO_NEW_PRIVS): "_s + systemError(errno));
    report.applied.append(u"no_new_privs"_s);
    if (auto limits = applyResourceLimits(policy.limits, report); !limits)
        return limits.error();
    if (auto landlock = applyLandlock(policy, report); !landlock)
        return landlock.error();
    if (auto seccomp = applySeccomp(report); !seccomp)
        return seccomp.error();
    return report;
}

} // namespace Switchboard

#endif
