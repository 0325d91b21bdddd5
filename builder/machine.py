"""How much memory a build may still take: the machine's, or its control group's (a
container, a systemd unit) where that limit is nearer. /proc/meminfo speaks for the
whole host, so inside a container it alone would promise memory the build cannot have."""

from __future__ import annotations

from pathlib import Path

MEMINFO = Path("/proc/meminfo")
CGROUPS = Path("/sys/fs/cgroup")
OWN_CGROUP = Path("/proc/self/cgroup")
_NO_LIMIT = 2**60
"""A cgroup v1 'limit' this large means none (v2 writes 'max')."""


def available_mib(meminfo: Path = MEMINFO, cgroups: Path = CGROUPS,
                  own_cgroup: Path = OWN_CGROUP) -> float | None:
    """MiB available now, or None where neither the host nor a cgroup tells."""
    known = [mib for mib in (_host_available(meminfo), _cgroup_room(cgroups, own_cgroup))
             if mib is not None]
    return min(known, default=None)


def _host_available(meminfo: Path) -> float | None:
    try:
        for line in meminfo.read_text().splitlines():
            name, _, value = line.partition(":")
            if name == "MemAvailable":
                return int(value.split()[0]) / 1024  # in kB
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_room(cgroups: Path, own_cgroup: Path) -> float | None:
    """Limit less usage of this process's cgroup: v2 (memory.max) in the group named by
    /proc/self/cgroup, or at the root as a container sees its own; v1 (memory/)."""
    try:
        own = next(line[3:] for line in own_cgroup.read_text().splitlines()
                   if line.startswith("0::"))
    except (OSError, StopIteration):
        own = "/"
    groups = dict.fromkeys([cgroups / own.lstrip("/"), cgroups])
    places = [(group / "memory.max", group / "memory.current") for group in groups]
    places.append((cgroups / "memory/memory.limit_in_bytes",
                   cgroups / "memory/memory.usage_in_bytes"))
    for limit, usage in places:
        try:
            cap, used = int(limit.read_text()), int(usage.read_text())
        except (OSError, ValueError):  # absent, or 'max': no limit there
            continue
        if cap < _NO_LIMIT:
            return max(cap - used, 0) / 2**20
    return None
