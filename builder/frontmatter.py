"""Front matter and YAML, loaded so that every key and item keeps its line.

Only plain YAML is accepted: tags (``!!python/object``) and aliases are refused, so a
hostile file can neither run code nor blow up into a billion-laughs expansion.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .problems import Problem

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")}
_CONSTRUCTOR = SafeConstructor()
_MAX_DEPTH = 32

Scalar = str | int | float | bool | None | dt.date | dt.datetime


class _Refused:
    """Stands where a value was refused (a tag, an alias, an impossible date), so the
    checks that follow neither report it again nor call it missing."""

    def __repr__(self) -> str:
        return "a refused value"


REFUSED = _Refused()


class YMap(dict[str, Any]):
    """A YAML mapping that remembers the line of each key."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class YList(list[Any]):
    """A YAML sequence that remembers the line of each item."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []


@dataclass(frozen=True, slots=True)
class Split:
    yaml_text: str
    yaml_first_line: int
    """File line of the YAML block's first line."""
    body: str
    body_first_line: int


def normalise(text: str) -> str:
    """Accept what editors' tools write: a UTF-8 BOM and CRLF or CR line endings."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def split(text: str, path: str) -> Split | Problem:
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return Problem(path, 1, "the file must start with a '---' line that opens the front matter")
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return Split("\n".join(lines[1:index]), 2, "\n".join(lines[index + 1 :]), index + 2)
    return Problem(path, 1, "unterminated front matter: no closing '---' line",
                   "end the YAML block with a line holding only '---'")


def load(text: str, path: str, first_line: int = 1) -> tuple[Any, list[Problem]]:
    """Parse one YAML document into plain values (YMap, YList, scalars) and problems."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = first_line + (mark.line if mark else 0)
        message = str(error.problem or error.context)
        return None, [Problem(path, line, f"invalid YAML: {message}", _yaml_hint(message))]
    except yaml.YAMLError as error:
        return None, [Problem(path, first_line, f"invalid YAML: {error}")]
    if node is None:
        return None, []
    walker = _Walker(path, first_line)
    value = walker.value(node, 0)
    if walker.found_alias:
        walker.problems += _alias_problems(text, path, first_line)
    return value, walker.problems


def _alias_problems(text: str, path: str, first_line: int) -> list[Problem]:
    """One problem per `*alias`, at its own line (composed nodes only know the anchor's)."""
    events = yaml.parse(text, Loader=_Loader)
    return [Problem(path, first_line + (event.start_mark.line if event.start_mark else 0),
                    f"YAML aliases (*{event.anchor}) "
                    "are not allowed", "write the value out in full")
            for event in events if isinstance(event, yaml.AliasEvent)]


def _yaml_hint(message: str) -> str:
    if "mapping values are not allowed" in message:
        return "a value holding ': ' must be quoted, e.g. title: \"Kharkiv: a school underground\""
    if "found character '\\t'" in message:
        return "indent with spaces, not tabs"
    return ""


class _Walker:
    def __init__(self, path: str, first_line: int) -> None:
        self.path = path
        self.first_line = first_line
        self.seen: set[int] = set()
        self.found_alias = False
        self.problems: list[Problem] = []

    def line(self, node: Node) -> int:
        return self.first_line + node.start_mark.line

    def refuse(self, node: Node, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.path, self.line(node), message, hint))

    def value(self, node: Node, depth: int) -> Any:
        if id(node) in self.seen:
            self.found_alias = True
            return REFUSED
        self.seen.add(id(node))
        if depth > _MAX_DEPTH:
            self.refuse(node, f"YAML nested deeper than {_MAX_DEPTH} levels")
            return REFUSED
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if isinstance(node, SequenceNode) and node.tag == _TAG + "seq":
            return self.sequence(node, depth)
        if isinstance(node, MappingNode) and node.tag == _TAG + "map":
            return self.mapping(node, depth)
        self.refuse(node, f"YAML tag {node.tag!r} is not allowed", "remove the '!' tag")
        return REFUSED

    def scalar(self, node: ScalarNode) -> Scalar | _Refused:
        if node.tag not in _SCALAR_TAGS:
            self.refuse(node, f"YAML tag {node.tag!r} is not allowed", "remove the '!' tag")
            return REFUSED
        try:
            value: Scalar | _Refused = _CONSTRUCTOR.yaml_constructors[node.tag](_CONSTRUCTOR, node)
        except ValueError as error:
            self.refuse(node, f"impossible value {node.value!r}: {error}")
            return REFUSED
        return value

    def sequence(self, node: SequenceNode, depth: int) -> YList:
        items = YList(self.line(node))
        for child in node.value:
            items.append(self.value(child, depth + 1))
            items.item_lines.append(self.line(child))
        return items

    def mapping(self, node: MappingNode, depth: int) -> YMap:
        result = YMap(self.line(node))
        for key_node, value_node in node.value:
            key = self.value(key_node, depth + 1)
            if not isinstance(key, str):
                self.refuse(key_node, f"a key must be text, not {key!r}")
                continue
            if key in result.key_lines:
                first = result.key_lines[key]
                self.refuse(key_node, f"duplicate key {key!r} (first on line {first})")
                continue
            result.key_lines[key] = self.line(key_node)
            result[key] = self.value(value_node, depth + 1)
        return result
