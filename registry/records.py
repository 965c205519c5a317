"""Reading import files: CSV, JSON, JSON Lines and YAML, each record with its line number."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

try:
    _YamlLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml is in the PyYAML wheels
    _YamlLoader = yaml.SafeLoader


class UnreadableFile(ValueError):
    """The file as a whole cannot be read as records (not a row-level problem)."""


@dataclass(frozen=True, slots=True)
class Record:
    line: int
    fields: dict[str, Any]


def _read_text(path: Path) -> str:
    """The file as UTF-8 text (a BOM is dropped). Anything else fails as a whole with the
    line of the first bad byte, before a single record is read: Excel saves "CSV" as
    GB18030/GBK on Chinese Windows, and a half-decoded file must not half-import."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UnreadableFile(
            f"{path}: line {line} is not UTF-8 (byte 0x{data[exc.start]:02x}); save the file"
            " as UTF-8 (Excel: 'CSV UTF-8'), e.g. iconv -f GB18030 -t UTF-8"
        ) from exc


def _csv_records(path: Path) -> Iterator[Record]:
    with io.StringIO(_read_text(path), newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            return
        names = [name.strip() for name in header]
        start = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                if len(row) > len(names):
                    yield Record(start, {"__error__": f"{len(row)} cells for {len(names)} columns"})
                else:
                    yield Record(start, dict(zip(names, row, strict=False)))
            start = reader.line_num + 1


def _jsonl_records(path: Path) -> Iterator[Record]:
    with io.StringIO(_read_text(path)) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield Record(number, {"__error__": f"not JSON: {exc.msg}"})
                continue
            yield Record(
                number, value if isinstance(value, dict) else {"__error__": "not an object"}
            )


def _document_records(path: Path, key: str) -> Iterator[Record]:
    """A YAML or JSON document: a list of objects, or an object holding one under `key`."""
    text = _read_text(path)
    try:
        node = yaml.compose(text, Loader=_YamlLoader)
        data = yaml.load(text, Loader=_YamlLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise UnreadableFile(f"{path}: not valid YAML/JSON: {exc}") from exc
    if isinstance(data, dict) and isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == key:
                node = value_node
        data = data.get(key)
    if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
        raise UnreadableFile(f"{path}: expected a list of records or a mapping with '{key}:'")
    for item_node, item in zip(node.value, data, strict=True):
        line = item_node.start_mark.line + 1
        yield Record(line, item if isinstance(item, dict) else {"__error__": "not an object"})


def read_records(path: Path, key: str) -> Iterator[Record]:
    """Records of an import file, by its extension: .csv, .jsonl, .json, .yaml/.yml."""
    if not path.is_file():
        raise UnreadableFile(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _csv_records(path)
    if suffix in {".jsonl", ".ndjson"}:
        return _jsonl_records(path)
    if suffix in {".json", ".yaml", ".yml"}:
        return _document_records(path, key)
    raise UnreadableFile(f"{path}: unknown format {suffix!r}; use .csv, .json, .jsonl or .yaml")


def count_data_lines(path: Path) -> int | None:
    """Rough record count for a progress bar (CSV and JSON Lines only)."""
    if path.suffix.lower() not in {".csv", ".jsonl", ".ndjson"}:
        return None
    with path.open("rb") as handle:
        return max(sum(1 for _ in handle) - (path.suffix.lower() == ".csv"), 0)
