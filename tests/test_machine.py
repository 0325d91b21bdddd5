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


@pytest.mark.parametrize(("contents", "own", "mib"), [
    ({"cgroup/system.slice/editor.service/memory.max": f"{GiB}\n",
      "cgroup/system.slice/editor.service/memory.current": "0\n"},
     "0::/system.slice/editor.service\n", 1024.0),
    ({"cgroup/user.slice/memory.max": f"{GiB}\n", "cgroup/user.slice/memory.current": "0\n",
      "cgroup/user.slice/app.scope/memory.max": "max\n",
      "cgroup/user.slice/app.scope/memory.current": "0\n"},
     "0::/user.slice/app.scope\n", 1024.0),
    ({"cgroup/memory.max": f"{GiB}\n", "cgroup/memory.current": "0\n",
      "cgroup/sub/memory.max": f"{4 * GiB}\n", "cgroup/sub/memory.current": "0\n"},
     "0::/sub\n", 1024.0),
    ({"cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
      "cgroup/memory/memory.usage_in_bytes": "0\n",
      "cgroup/memory/system.slice/x.service/memory.limit_in_bytes": f"{GiB}\n",
      "cgroup/memory/system.slice/x.service/memory.usage_in_bytes": "0\n"},
     "4:memory:/system.slice/x.service\n0::/system.slice/x.service\n", 1024.0),
])
def test_the_least_room_of_the_process_s_group_and_those_above(
        tmp_path: Path, contents: dict[str, str], own: str, mib: float) -> None:
    files(tmp_path, {"meminfo": MEMINFO, **contents})
    assert available(tmp_path, own) == mib


def test_page_cache_the_kernel_can_drop_counts_as_room(tmp_path: Path) -> None:
    files(tmp_path, {"meminfo": MEMINFO, "cgroup/memory.max": f"{4 * GiB}\n",
                     "cgroup/memory.current": f"{3 * GiB}\n",
                     "cgroup/memory.stat": f"anon {GiB // 2}\ninactive_file {2 * GiB}\n"})
    assert available(tmp_path) == 3072.0


def test_an_undecodable_group_name_is_no_error(tmp_path: Path) -> None:
    files(tmp_path, {"meminfo": MEMINFO})
    (tmp_path / "self-cgroup").write_bytes(b"0::/caf\xe9\n")
    assert machine.available_mib(tmp_path / "meminfo", tmp_path / "cgroup",
                                 tmp_path / "self-cgroup") == 8192.0
