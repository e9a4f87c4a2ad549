"""Length-prefixed JSON messages over pipes: the only thing that crosses a process boundary.

Messages are strict JSON (no NaN or infinity). Messages coming from a sandbox are untrusted:
readers cap their size and the callers check every field. Nothing is ever unpickled.
"""

from __future__ import annotations

import errno
import json
import os
import select
import struct
import time

HEADER = struct.Struct(">I")
#: Largest message accepted between trusted processes (a whole job or record fits well below).
MAX_MESSAGE_BYTES = 512 * 1024 * 1024


class ProtocolError(Exception):
    """A message was malformed, too large, or the stream ended inside one."""


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def decode(body: bytes) -> dict:
    try:
        message = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(f"a message is not valid JSON ({exc})") from None
    if not isinstance(message, dict):
        raise ProtocolError("a message is not a JSON object")
    return message


def encode(message: dict) -> bytes:
    body = json.dumps(message, separators=(",", ":"), allow_nan=False,
                      ensure_ascii=True).encode("ascii")
    return HEADER.pack(len(body)) + body


def write_message(fd: int, message: dict) -> None:
    data = memoryview(encode(message))
    while data:
        written = os.write(fd, data)
        data = data[written:]


def send_before(fd: int, message: dict, deadline: float) -> bool:
    """Write a message to a non-blocking pipe, giving up at ``deadline`` (monotonic); False if
    the reader did not take it in time or is gone."""
    data = memoryview(encode(message))
    while data:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        try:
            _, ready, _ = select.select([], [fd], [], remaining)
        except InterruptedError:
            continue
        if not ready:
            continue
        try:
            written = os.write(fd, data[:1 << 16])
        except BlockingIOError:
            continue
        except OSError as exc:
            if exc.errno in (errno.EPIPE, errno.EBADF):
                return False
            raise
        data = data[written:]
    return True


def read_exactly(fd: int, size: int) -> bytes | None:
    """Read ``size`` bytes; None on a clean end of stream before the first byte."""
    chunks, remaining = [], size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            if remaining == size:
                return None
            raise ProtocolError("the stream ended in the middle of a message")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_message(fd: int, max_bytes: int = MAX_MESSAGE_BYTES) -> dict | None:
    """Read one message (blocking); None at a clean end of stream."""
    header = read_exactly(fd, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > max_bytes:
        raise ProtocolError(f"a message of {size} bytes is over the limit of {max_bytes}")
    body = read_exactly(fd, size)
    if body is None:
        raise ProtocolError("the stream ended before a message body")
    return decode(body)


class MessageBuffer:
    """Incremental decoder for a non-blocking reader (the supervisor's select loop)."""

    def __init__(self, max_bytes: int):
        self.data = bytearray()
        self.max_bytes = max_bytes

    def feed(self, chunk: bytes) -> list[dict]:
        self.data.extend(chunk)
        messages = []
        while len(self.data) >= HEADER.size:
            (size,) = HEADER.unpack(self.data[:HEADER.size])
            if size > self.max_bytes:
                raise ProtocolError(f"a message of {size} bytes is over the limit of "
                                    f"{self.max_bytes}")
            if len(self.data) < HEADER.size + size:
                break
            body = bytes(self.data[HEADER.size:HEADER.size + size])
            del self.data[:HEADER.size + size]
            messages.append(decode(body))
        return messages

    @property
    def pending(self) -> bool:
        """Part of a message has arrived and the rest not yet."""
        return bool(self.data)
