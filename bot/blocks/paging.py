"""Split a long list of Block Kit sections into pages that each fit in one message.

A section is a heading followed by units, such as a milestone and its tasks. A
unit (one task's blocks) is never split. A section that does not fit on the
rest of a page continues on the next one, under its continued heading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from slack_sdk.models.blocks import Block


@dataclass(frozen=True)
class Budget:
    """Blocks and characters of block text that one page may use."""

    blocks: int
    chars: int


@dataclass(frozen=True)
class Section:
    """A heading and the units under it. `key` identifies the section, such as a milestone id."""

    key: int
    heading: Sequence[Block]
    continued_heading: Sequence[Block]
    units: Sequence[Sequence[Block]]

    @cached_property
    def heading_length(self) -> int:
        return text_length(self.heading)

    @cached_property
    def continued_heading_length(self) -> int:
        return text_length(self.continued_heading)

    @cached_property
    def unit_lengths(self) -> tuple[int, ...]:
        # Measured once, because `to_dict()` validates every object and is slow.
        return tuple(text_length(unit) for unit in self.units)


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

    def fits(self, block_count: int, length: int) -> bool:
        return block_count <= self.free_blocks and length <= self.free_chars

    def add(self, blocks: Sequence[Block], length: int, key: int | None = None) -> None:
        self.blocks.extend(blocks)
        self.free_blocks -= len(blocks)
        self.free_chars -= length
        if key is not None and key not in self.keys:
            self.keys.append(key)

    def page(self) -> Page:
        return Page(blocks=tuple(self.blocks), keys=tuple(self.keys))


def paginate(sections: Sequence[Section], budget: Budget) -> list[Page]:
    """Fill pages in order and return them, with one empty page when there are no sections.

    A section starts on a new page unless its heading and first unit fit on
    the current one. A heading with its largest unit must fit in `budget`.
    Otherwise that page goes over budget, so callers keep units small.
    """
    pages: list[Page] = []
    current = _PageBuilder(budget)
    for section in sections:
        opening_blocks = len(section.heading)
        opening_length = section.heading_length
        if section.units:
            opening_blocks += len(section.units[0])
            opening_length += section.unit_lengths[0]
        if current.blocks and not current.fits(opening_blocks, opening_length):
            pages.append(current.page())
            current = _PageBuilder(budget)
        current.add(section.heading, section.heading_length, section.key)

        for unit, length in zip(section.units, section.unit_lengths, strict=True):
            if not current.fits(len(unit), length):
                pages.append(current.page())
                current = _PageBuilder(budget)
                current.add(
                    section.continued_heading, section.continued_heading_length, section.key
                )
            current.add(unit, length)
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
