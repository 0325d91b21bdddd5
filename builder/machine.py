"""How much memory a build may still take: the machine's, or its control groups' (a
container, a systemd unit or slice) where a limit is nearer. /proc/meminfo speaks for the
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
    """The least room of this process's cgroup and of each one above it: v2, or v1's
    memory controller. A container sees its own group as the top one."""
    unified, memory = _own_groups(own_cgroup)
    rooms = [_room(group / "memory.max", group / "memory.current", group / "memory.stat",
                   "inactive_file") for group in _up(cgroups, unified)]
    rooms += [_room(group / "memory.limit_in_bytes", group / "memory.usage_in_bytes",
                    group / "memory.stat", "total_inactive_file")
              for group in _up(cgroups / "memory", memory)]
    return min((room for room in rooms if room is not None), default=None)


def _own_groups(own_cgroup: Path) -> tuple[str, str]:
    """This process's v2 group and v1 memory group, as /proc/self/cgroup names them
    ('id:controllers:path' lines); '/' where it names none."""
    unified = memory = "/"
    try:
        for line in own_cgroup.read_text().splitlines():
            number, controllers, path = line.split(":", 2)
            if number == "0" and not controllers:
                unified = path
            elif "memory" in controllers.split(","):
                memory = path
    except (OSError, ValueError):  # unreadable, or not UTF-8
        pass
    return unified, memory


def _up(top: Path, group: str) -> list[Path]:
    """The group's folder under `top`, then each folder above it up to `top`."""
    chain = [top / group.strip("/")]
    while chain[-1] != top:
        chain.append(chain[-1].parent)
    return chain


def _room(limit: Path, usage: Path, stat: Path, reclaimable: str) -> float | None:
    """MiB left under the limit, the page cache the kernel can drop counted as free;
    None where there is no limit ('max', or v1's near 2**63)."""
    try:
        cap, used = int(limit.read_text()), int(usage.read_text())
    except (OSError, ValueError):
        return None
    if cap >= _NO_LIMIT:
        return None
    return max(cap - used + _stat_value(stat, reclaimable), 0) / 2**20


def _stat_value(stat: Path, name: str) -> int:
    try:
        for line in stat.read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == name:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0
