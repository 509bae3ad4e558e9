"""YAML for settings files: safe_load that refuses repeated keys and leaves dates as text.

PyYAML keeps the last of two equal keys silently (a venue listed twice loses its first entry)
and turns `2024-02-30` into a raw ValueError; here a repeated key names both lines, and dates
stay text so the settings model parses and explains them.
"""

from __future__ import annotations

from typing import Any

import yaml

_MERGE = "tag:yaml.org,2002:merge"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class DuplicateKeyError(ValueError):
    """A key given twice in one mapping; the message names it and both lines."""


class _StrictLoader(yaml.SafeLoader):
    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.parents: dict[int, object] = {}  # id of a mapping node -> the key holding it

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[object, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                continue  # `<<` merges defaults that later keys may override
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                repeated = key in seen
            except TypeError:  # an unhashable key: the settings model refuses it later
                continue
            if repeated:
                where = f"under {self.parents[id(node)]!r}" if id(node) in self.parents else ""
                raise DuplicateKeyError(
                    f"{key!r} appears twice {where or 'at the top level'} (lines {seen[key]} "
                    f"and {line}); keys must be unique: keep one of them or rename it"
                )
            seen[key] = line
            if isinstance(value_node, yaml.MappingNode):
                self.parents[id(value_node)] = key
        return super().construct_mapping(node, deep)


def load_strict(text: str) -> Any:
    """The document in `text`; raises DuplicateKeyError or yaml.YAMLError."""
    return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 (a SafeLoader subclass)
