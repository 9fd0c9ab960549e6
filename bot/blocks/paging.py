"""Split a long list of Block Kit sections into pages that each fit in one message.

A section is a heading followed by units, such as a milestone and its tasks. A
unit (one task's blocks) is never split. A section that does not fit on the
rest of a page continues on the next one, under its continued heading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import Block


@dataclass(frozen=True)
class Budget:
    """Blocks and characters of block text that one page may use."""

    blocks: int
    chars: int


@dataclass(frozen=True)
class Section:
    """A heading and the units under it; `key` identifies it, such as a milestone id."""

    key: int
    heading: Sequence[Block]
    continued_heading: Sequence[Block]
    units: Sequence[Sequence[Block]]


@dataclass(frozen=True)
class Page:
    """The blocks of one page and the keys of the sections that start or continue on it."""

    blocks: tuple[Block, ...]
    keys: tuple[int, ...]


class _PageBuilder:
    def __init__(self, budget: Budget) -> None:
        self.blocks: list[Block] = []
        self.keys: list[int] = []
        self.free_blocks = budget.blocks
        self.free_chars = budget.chars

    def fits(self, blocks: Sequence[Block]) -> bool:
        return len(blocks) <= self.free_blocks and text_length(blocks) <= self.free_chars

    def add(self, blocks: Sequence[Block], key: int | None = None) -> None:
        self.blocks.extend(blocks)
        self.free_blocks -= len(blocks)
        self.free_chars -= text_length(blocks)
        if key is not None and key not in self.keys:
            self.keys.append(key)

    def page(self) -> Page:
        return Page(blocks=tuple(self.blocks), keys=tuple(self.keys))


def paginate(sections: Sequence[Section], budget: Budget) -> list[Page]:
    """Fill pages in order; return at least one page, empty when there are no sections.

    A section starts on a new page unless its heading and first unit fit on
    the current one. A heading with its largest unit must fit in `budget`,
    otherwise that page is over budget: the caller sizes units to prevent it.
    """
    pages: list[Page] = []
    current = _PageBuilder(budget)
    for section in sections:
        opening = [*section.heading, *(section.units[0] if section.units else [])]
        if current.blocks and not current.fits(opening):
            pages.append(current.page())
            current = _PageBuilder(budget)
        current.add(section.heading, section.key)
        for unit in section.units:
            if not current.fits(unit):
                pages.append(current.page())
                current = _PageBuilder(budget)
                current.add(section.continued_heading, section.key)
            current.add(unit)
    pages.append(current.page())
    return pages


def text_length(blocks: Sequence[Block]) -> int:
    """Count the characters of every `text` string in the blocks, which the text budget limits."""
    return sum(_dict_text_length(block.to_dict()) for block in blocks)


def _dict_text_length(value: Any) -> int:
    if isinstance(value, dict):
        total = 0
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                total += len(item)
            else:
                total += _dict_text_length(item)
        return total
    if isinstance(value, list):
        return sum(_dict_text_length(item) for item in value)
    return 0
