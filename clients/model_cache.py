"""py3langid's language model, cached as a pickle: what makes a worker's warm-up short.

Reading py3langid's LZMA-compressed model takes ~0.5 s, half of a worker's warm-up; the pickle
(68 MB, named after the model file it was made from) takes ~0.1 s. The workers (flows/workers.py)
load it once per process.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import time
from pathlib import Path
from typing import Any

from transforms import language


def cached_language_model(cache_dir: Path) -> Any:
    """py3langid's identifier, from a pickle in `cache_dir` made the first time.

    A cache that cannot be read or written only costs the slow path.
    """
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    source = (MODEL_DIR / MODEL_FILE).stat()
    path = cache_dir / f"py3langid-{source.st_size}-{source.st_mtime_ns}.pickle"
    with contextlib.suppress(OSError):  # none yet, or a cache that cannot be read
        data = path.read_bytes()
        try:
            return pickle.loads(data)
        except Exception:  # a truncated or foreign file: made again below
            path.unlink(missing_ok=True)
    model = language.read_model()
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(partial, path)  # whole or absent, even with several writers
    except OSError:  # read-only or full: the next process takes the slow path again
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        return model
    _forget_old_models(cache_dir, keep=path)
    return model


STALE_MODEL_SECONDS = 24 * 3600


def _forget_old_models(cache_dir: Path, keep: Path) -> None:
    """Delete the pickles of other model files made over a day ago: a new one is made when
    py3langid's model file changes (a new install), and each is 68 MB. Another checkout still using
    its own pickle makes it again once, in 0.5 s."""
    cutoff = time.time() - STALE_MODEL_SECONDS
    for old in cache_dir.glob("py3langid-*.pickle"):
        with contextlib.suppress(OSError):
            if old != keep and old.stat().st_mtime < cutoff:
                old.unlink()
