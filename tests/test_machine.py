"""The memory a build may take: the host's MemAvailable, or a nearer cgroup limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder import machine

MEMINFO = "MemTotal:       16000000 kB\nMemFree:  100 kB\nMemAvailable:    8388608 kB\n"
"""8 GiB available."""
GiB = 2**30


def files(root: Path, contents: dict[str, str]) -> Path:
    for name, text in contents.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def available(root: Path, own: str = "0::/\n") -> float | None:
    files(root, {"self-cgroup": own})
    return machine.available_mib(root / "meminfo", root / "cgroup", root / "self-cgroup")


@pytest.mark.parametrize(("contents", "mib"), [
    ({"meminfo": MEMINFO}, 8192.0),
    ({"meminfo": "MemTotal: 1 kB\n"}, None),
    ({"meminfo": "MemAvailable: lots\n"}, None),
    ({}, None),
    ({"meminfo": MEMINFO, "cgroup/memory.max": f"{2 * GiB}\n",
      "cgroup/memory.current": f"{GiB // 2}\n"}, 1536.0),
    ({"meminfo": MEMINFO, "cgroup/memory.max": "max\n", "cgroup/memory.current": "5\n"}, 8192.0),
    ({"cgroup/memory.max": f"{GiB}\n", "cgroup/memory.current": f"{2 * GiB}\n"}, 0.0),
    ({"meminfo": MEMINFO, "cgroup/memory/memory.limit_in_bytes": f"{3 * GiB}\n",
      "cgroup/memory/memory.usage_in_bytes": f"{GiB}\n"}, 2048.0),
    ({"meminfo": MEMINFO, "cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
      "cgroup/memory/memory.usage_in_bytes": f"{GiB}\n"}, 8192.0),
    ({"meminfo": "MemAvailable: 1024 kB\n", "cgroup/memory.max": f"{GiB}\n",
      "cgroup/memory.current": "0\n"}, 1.0),
])
def test_the_nearer_of_host_and_cgroup(tmp_path: Path, contents: dict[str, str],
                                       mib: float | None) -> None:
    files(tmp_path, contents)
    assert available(tmp_path) == mib


def test_a_systemd_unit_s_limit_is_read_in_its_own_group(tmp_path: Path) -> None:
    files(tmp_path, {"meminfo": MEMINFO,
                     "cgroup/system.slice/editor.service/memory.max": f"{GiB}\n",
                     "cgroup/system.slice/editor.service/memory.current": "0\n"})
    assert available(tmp_path, own="0::/system.slice/editor.service\n") == 1024.0
