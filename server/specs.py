"""The spec files, parsed once per process (libyaml when available) and handed out as copies."""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any

import yaml

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_cache: dict[tuple[str, int, int], dict[str, Any]] = {}
_lock = threading.Lock()


def load_document(path: Path) -> dict[str, Any]:
    """A fresh copy of the parsed YAML file; the parse is reused while the file is unchanged."""
    status = path.stat()
    key = (str(path.resolve()), status.st_mtime_ns, status.st_size)
    with _lock:
        parsed = _cache.get(key)
        if parsed is None:
            loaded = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
            if not isinstance(loaded, dict):
                raise ValueError(f"{path} is not an OpenAPI document")
            parsed = loaded
            _cache[key] = parsed
    return copy.deepcopy(parsed)
