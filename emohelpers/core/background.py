"""Iterating in a worker thread that stays a few items ahead (decoding, detection)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

_END = object()


def _put(q: queue.Queue, item: Any, stop: threading.Event) -> bool:
    """Put unless the consumer has gone; False once it has."""
    while not stop.is_set():
        try:
            q.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def in_background(items: Iterator, depth: int = 1, name: str = "emohelpers-worker") -> Iterator:
    """Iterate `items` in a worker thread that stays up to `depth` items ahead.

    Decoding (video.iter_frames) and detection (pipeline.analyze) run this way, so they
    overlap with the work on the items already handed out (FFmpeg and torch release the GIL).
    Exceptions are re-raised in the consumer; when the consumer stops early, the worker
    stops and closes `items` (a generator's `finally` then releases what it holds).
    At most `depth` items wait in the queue: that bounds the memory held.
    """
    q: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def work() -> None:
        try:
            for item in items:
                if not _put(q, (item, None), stop):
                    return
            _put(q, (_END, None), stop)
        except BaseException as exc:  # handed to the consumer, who re-raises it
            _put(q, (None, exc), stop)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=work, name=name, daemon=True)
    worker.start()
    try:
        while True:
            item, exc = q.get()
            if exc is not None:
                raise exc
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            try:
                q.get(timeout=0.05)
            except queue.Empty:
                pass
        worker.join()
