"""Read guide YAML files keeping each value's line number, so problems read ``path:line: message``.

The files are parsed with yaml's compose (node) API, never ``yaml.load``: only plain mappings,
lists and scalars come out, duplicate keys are reported instead of silently overwritten, and
every key and value keeps its 1-based line. Dates are kept as the text written in the file; the
checker parses them, so a bad date is a reported problem rather than a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

# A value's position in a file: keys of mappings and indexes of lists from the top.
KeyPath = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


@dataclass(frozen=True)
class LoadProblem:
    line: int
    message: str


@dataclass
class LoadedFile:
    path: Path
    data: Any  # dicts, lists, str, int, float, bool, None; None also if the file is empty
    value_lines: dict[KeyPath, int] = field(default_factory=dict)
    key_lines: dict[KeyPath, int] = field(default_factory=dict)
    problems: list[LoadProblem] = field(default_factory=list)

    def line(self, path: KeyPath) -> int:
        """Line of the value at ``path``, or of its nearest enclosing value (1 if none)."""
        for end in range(len(path), -1, -1):
            found = self.value_lines.get(path[:end])
            if found is not None:
                return found
        return 1

    def key_line(self, path: KeyPath) -> int:
        """Line of the key naming ``path`` (a mapping entry), else of its value."""
        return self.key_lines.get(path) or self.line(path)


class _Builder:
    def __init__(self, loaded: LoadedFile) -> None:
        self.loaded = loaded
        self.constructor = SafeConstructor()
        self._seen: set[int] = set()

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.loaded.value_lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            # An alias hands back a node already built: refusing it stops recursive aliases
            # and "billion laughs" expansion before they cost anything.
            if id(node) in self._seen:
                self.loaded.problems.append(LoadProblem(
                    node.start_mark.line + 1, "anchors and aliases are not allowed"))
                return None
            self._seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self._key(key_node)
                if key is None:
                    continue
                if key in result:
                    self.loaded.problems.append(LoadProblem(
                        key_node.start_mark.line + 1,
                        f"duplicate key {key!r} (first at line "
                        f"{self.loaded.key_lines[(*path, key)]})"))
                    continue
                self.loaded.key_lines[(*path, key)] = key_node.start_mark.line + 1
                result[key] = self.build(value_node, (*path, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self._scalar(node)

    def _key(self, node: yaml.Node) -> str | None:
        if isinstance(node, yaml.ScalarNode):
            value = self._scalar(node)
            if isinstance(value, str):
                return value
        self.loaded.problems.append(LoadProblem(
            node.start_mark.line + 1, "keys must be plain text"))
        return None

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag in (_STR, _TIMESTAMP):
            return node.value
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError):
            return node.value


def load_file(path: Path) -> LoadedFile:
    """Parse one YAML file; a syntax error becomes a problem at its line, not an exception."""
    loaded = LoadedFile(path, None)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        loaded.problems.append(LoadProblem(1, f"cannot read file ({type(exc).__name__})"))
        return loaded
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        loaded.problems.append(LoadProblem(line, f"YAML syntax error: {exc.problem}"))
        return loaded
    except yaml.YAMLError as exc:
        loaded.problems.append(LoadProblem(1, f"YAML error: {exc}"))
        return loaded
    if node is not None:
        loaded.data = _Builder(loaded).build(node, ())
    return loaded


def guide_files(directory: Path) -> list[Path]:
    """The content files of a directory, in name order (``*.yaml``; ``*.yml`` too)."""
    return sorted(p for p in directory.iterdir()
                  if p.is_file() and p.suffix in (".yaml", ".yml") and not p.name.startswith("."))


def load_directory(directory: Path) -> list[LoadedFile]:
    return [load_file(path) for path in guide_files(directory)]
