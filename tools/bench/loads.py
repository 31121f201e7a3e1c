"""The two loads of the benchmark, as wrk Lua scripts, and the seed that keeps the second one honest.

1. `example`: the document's request example with `Prefer: code=200`, so every server answers the
   documented 200 example (the work Prism does).
2. `creates`: real creates that the stub validates, stores and journals. A create marks its target
   server as restoring until the restore ends, and a second create on that server is a cheap
   400 CSBS.6015; so the script rotates over many seeded backups, each of its own server, and a
   server comes round again only long after its previous restore has ended.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tools.bench.wrk import DONE_CALLBACK
from tools.harness import seeds

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACT_SPEC = REPO_ROOT / "openapi" / "csbs-restore.yaml"
DEFAULT_SEED = REPO_ROOT / "server" / "seeds" / "default.yaml"

PROJECT_ID = seeds.DEMO_PROJECT
TENANT_TOKEN = seeds.DEMO_TOKEN
PROVIDER_ID = seeds.PROVIDER_ID
RESTORES_PATH = f"/v1/{PROJECT_ID}/restores"

# The IDs of bench backup number i share a per-kind first group and end in i (12 hex digits), so
# the seed (Python) and the rotating script (Lua) derive the same IDs without a shared list.
ID_PREFIXES = {
    "checkpoint_id": "c4ec0000-0000-4000-8000-",
    "item_id": "17e40000-0000-4000-8000-",
    "server_id": "5e770000-0000-4000-8000-",
    "backup_id": "bac40000-0000-4000-8000-",
    "volume_id": "701e0000-0000-4000-8000-",
}


@dataclass(frozen=True)
class Load:
    """One kind of traffic: a name, what it means, and the wrk script that makes it."""

    name: str
    description: str
    script: str


def document_request() -> dict[str, Any]:
    """The request example of the contract (the document's own example), read from the spec."""
    spec = yaml.safe_load(CONTRACT_SPEC.read_text(encoding="utf-8"))
    value = spec["components"]["examples"]["DocumentRequest"]["value"]
    assert isinstance(value, dict)
    return value


def bench_ids(index: int) -> dict[str, str]:
    """The IDs of bench backup number `index`."""
    return {kind: f"{prefix}{index:012x}" for kind, prefix in ID_PREFIXES.items()}


def create_body(index: int) -> dict[str, Any]:
    """A valid create-restore body for bench backup number `index` (the same as the Lua script's)."""
    ids = bench_ids(index)
    return {
        "restore": {
            "provider_id": PROVIDER_ID,
            "checkpoint_id": ids["checkpoint_id"],
            "parameters": {
                "checkpoint_item_id": ids["item_id"],
                "power_on": True,
                "targets": {
                    "server_id": ids["server_id"],
                    "volumes": [{"backup_id": ids["backup_id"], "volume_id": ids["volume_id"]}],
                },
            },
        }
    }


def bench_seed(backup_count: int) -> dict[str, Any]:
    """The default seed plus `backup_count` available single-volume backups in the document's project."""
    seed = yaml.safe_load(DEFAULT_SEED.read_text(encoding="utf-8"))
    project = next(p for p in seed["projects"] if p["project_id"] == PROJECT_ID)
    for index in range(backup_count):
        ids = bench_ids(index)
        project["backups"].append(
            {
                "id": ids["item_id"],
                "name": f"bench-{index}",
                "checkpoint_id": ids["checkpoint_id"],
                "resource_id": ids["server_id"],
                "resource_type": "OS::Nova::Server",
                "status": "available",
                "extend_info": {
                    "volume_backups": [
                        {
                            "id": ids["backup_id"],
                            "source_volume_id": ids["volume_id"],
                            "source_volume_size": 40,
                            "bootable": True,
                        }
                    ]
                },
            }
        )
    assert isinstance(seed, dict)
    return seed


def write_bench_seed(path: Path, backup_count: int) -> Path:
    """Write the bench seed as JSON (a YAML subset the stub's seed loader reads)."""
    path.write_text(json.dumps(bench_seed(backup_count)), encoding="utf-8")
    return path


def _lua_string(text: str) -> str:
    """A Lua long-bracket literal; our JSON never contains `]==]`."""
    assert "]==]" not in text
    return f"[==[{text}]==]"


def _lua_headers(extra: dict[str, str]) -> str:
    headers = {"Content-Type": "application/json", "X-Auth-Token": TENANT_TOKEN, **extra}
    return "\n".join(f'wrk.headers["{name}"] = {_lua_string(value)}' for name, value in headers.items())


def example_load() -> Load:
    body = json.dumps(document_request(), separators=(",", ":"))
    script = "\n".join(
        [
            'wrk.method = "POST"',
            _lua_headers({"Prefer": "code=200"}),
            f"wrk.body = {_lua_string(body)}",
            DONE_CALLBACK,
        ]
    )
    return Load(
        name="example",
        description="the document's request example with `Prefer: code=200` (the documented 200 example)",
        script=script,
    )


def creates_load(backup_count: int, wrk_threads: int) -> Load:
    """Creates rotating over `backup_count` seeded backups; wrk threads take disjoint slices."""
    marker = "000000000000"
    template = json.dumps(create_body(0), separators=(",", ":"))
    assert template.count(marker) == len(ID_PREFIXES)
    template = template.replace("%", "%%").replace(marker, "%s")
    script = "\n".join(
        [
            'wrk.method = "POST"',
            _lua_headers({}),
            f"local template = {_lua_string(template)}",
            f"local backup_count = {backup_count}",
            f"local slices = {wrk_threads}",
            "local thread_count = 0",
            "setup = function(thread)",
            "  thread:set('slice_index', thread_count)",
            "  thread_count = thread_count + 1",
            "end",
            "local requests = {}",
            "local position = 0",
            "init = function(args)",
            "  local span = math.floor(backup_count / slices)",
            "  local first = slice_index * span",
            "  for i = first, first + span - 1 do",
            "    local suffix = string.format('%012x', i)",
            "    local body = string.format(template, suffix, suffix, suffix, suffix, suffix)",
            "    requests[#requests + 1] = wrk.format(nil, nil, nil, body)",
            "  end",
            "end",
            "request = function()",
            "  position = position % #requests + 1",
            "  return requests[position]",
            "end",
            DONE_CALLBACK,
        ]
    )
    return Load(
        name="creates",
        description=f"real creates rotating over {backup_count} seeded backups, each of its own server",
        script=script,
    )
