"""Length-prefixed JSON messages over pipes: the only thing that crosses a process boundary.

Messages coming from a sandboxed child are untrusted: readers cap their size and the callers
validate their fields. Nothing is ever unpickled.
"""

from __future__ import annotations

import json
import os
import struct

HEADER = struct.Struct(">I")
#: Largest message accepted from any process (a whole job or record fits well below it).
MAX_MESSAGE_BYTES = 256 * 1024 * 1024


class ProtocolError(Exception):
    """A message was malformed, too large, or the stream ended inside one."""


def encode(message: dict) -> bytes:
    body = json.dumps(message, separators=(",", ":"), allow_nan=True).encode("utf-8")
    return HEADER.pack(len(body)) + body


def write_message(fd: int, message: dict) -> None:
    data = memoryview(encode(message))
    while data:
        written = os.write(fd, data)
        data = data[written:]


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
    """Read one message; None at a clean end of stream."""
    header = read_exactly(fd, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > max_bytes:
        raise ProtocolError(f"a message of {size} bytes is over the limit of {max_bytes}")
    body = read_exactly(fd, size)
    if body is None:
        raise ProtocolError("the stream ended before a message body")
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(f"a message is not valid JSON ({exc})") from None
    if not isinstance(message, dict):
        raise ProtocolError("a message is not a JSON object")
    return message


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
                raise ProtocolError(f"a message of {size} bytes is over the limit")
            if len(self.data) < HEADER.size + size:
                break
            body = bytes(self.data[HEADER.size:HEADER.size + size])
            del self.data[:HEADER.size + size]
            try:
                message = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise ProtocolError("a message from the notebook process is not JSON") from None
            if not isinstance(message, dict):
                raise ProtocolError("a message from the notebook process is not an object")
            messages.append(message)
        return messages
