"""Collects one cell's outputs in nbformat shape, within a byte budget."""

from __future__ import annotations

import io
import json


class OutputSink:
    """Outputs of the running cell: streams merged as Jupyter merges them, rich data counted."""

    def __init__(self, cell_budget: int, total_budget: int):
        self.cell_budget = cell_budget
        self.total_left = total_budget
        self.outputs: list[dict] = []
        self.cell_left = cell_budget
        self.truncated = False
        self._clear_on_next = False

    def begin_cell(self) -> None:
        self.outputs = []
        self.cell_left = min(self.cell_budget, self.total_left)
        self._clear_on_next = False

    def end_cell(self) -> list[dict]:
        used = min(self.cell_budget, self.total_left) - self.cell_left
        self.total_left = max(0, self.total_left - used)
        return self.outputs

    def _take(self, size: int) -> bool:
        if size > self.cell_left:
            self.cell_left = 0
            return False
        self.cell_left -= size
        return True

    def _append(self, output: dict) -> None:
        if self._clear_on_next:
            self.outputs = []
            self._clear_on_next = False
        self.outputs.append(output)

    def stream(self, name: str, text: str) -> None:
        if not text:
            return
        if not self._take(len(text)):
            text = text[: max(self.cell_left, 0)]
            if not self.truncated_note(name):
                return
        if self.outputs and self.outputs[-1].get("output_type") == "stream" \
                and self.outputs[-1]["name"] == name and not self._clear_on_next:
            self.outputs[-1]["text"] += text
        else:
            self._append({"output_type": "stream", "name": name, "text": text})

    def truncated_note(self, name: str) -> bool:
        if self.truncated:
            return False
        self.truncated = True
        self._append({"output_type": "stream", "name": name,
                      "text": "\n... output truncated: over the grader's output limit ...\n"})
        return False

    def rich(self, kind: str, data: dict, metadata: dict | None, count: int | None = None
             ) -> None:
        size = sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in data.values())
        if not self._take(size):
            data = {"text/plain": f"[output of {size} bytes omitted: over the grader's limit]"}
            metadata = {}
        output = {"output_type": kind, "data": dict(data), "metadata": dict(metadata or {})}
        if kind == "execute_result":
            output["execution_count"] = count
        self._append(output)

    def error(self, ename: str, evalue: str, traceback: list[str]) -> None:
        self._take(sum(len(line) for line in traceback))
        self._append({"output_type": "error", "ename": ename, "evalue": evalue,
                      "traceback": list(traceback)})

    def clear(self, wait: bool = False) -> None:
        if wait:
            self._clear_on_next = True
        else:
            self.outputs = []


class SinkStream(io.TextIOBase):
    """A text stream (sys.stdout / sys.stderr) that writes into the sink."""

    def __init__(self, sink: OutputSink, name: str):
        self.sink = sink
        self.name_ = name

    @property
    def name(self) -> str:  # type: ignore[override]
        return f"<{self.name_}>"

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.sink.stream(self.name_, text)
        return len(text)

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return 1 if self.name_ == "stdout" else 2
