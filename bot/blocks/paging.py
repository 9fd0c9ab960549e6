"""Split a long list of Block Kit sections into pages that each fit in one message.

A section is a heading followed by units, such as a milestone and its tasks. A
unit (one task's blocks) is never split. A section that does not fit on the
rest of a page continues on the next one, under its continued heading.

Units carry their block count and text length, and build their blocks only
when a page is rendered. `to_dict()` validates every object and is the slow
part of rendering, so a plan of hundreds of tasks converts just the page
that is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import Block


@dataclass(frozen=True)
class Budget:
    """Blocks and characters of block text that one page may use."""

    blocks: int
    chars: int


@dataclass(frozen=True)
class Unit:
    """Blocks that stay on one page: their count, text length, and how to build them."""

    block_count: int
    length: int
    build: Callable[[], Sequence[Block]]

    @classmethod
    def of(cls, blocks: Sequence[Block]) -> Unit:
        """Wrap blocks that are already built, measuring them exactly."""
        built = tuple(blocks)
        return cls(block_count=len(built), length=text_length(built), build=lambda: built)


@dataclass(frozen=True)
class Section:
    """A heading and the units under it. `key` identifies the section, such as a milestone id."""

    key: int
    heading: Unit
    continued_heading: Unit
    units: Sequence[Unit]


@dataclass(frozen=True)
class Page:
    """The units of one page and the keys of the sections that start or continue on it."""

    units: tuple[Unit, ...]
    keys: tuple[int, ...]

    def blocks(self) -> list[Block]:
        return [block for unit in self.units for block in unit.build()]


class _PageBuilder:
    def __init__(self, budget: Budget) -> None:
        self.units: list[Unit] = []
        self.keys: list[int] = []
        self.free_blocks = budget.blocks
        self.free_chars = budget.chars

    def fits(self, block_count: int, length: int) -> bool:
        return block_count <= self.free_blocks and length <= self.free_chars

    def add(self, unit: Unit, key: int | None = None) -> None:
        self.units.append(unit)
        self.free_blocks -= unit.block_count
        self.free_chars -= unit.length
        if key is not None and key not in self.keys:
            self.keys.append(key)

    def page(self) -> Page:
        return Page(units=tuple(self.units), keys=tuple(self.keys))


def paginate(sections: Sequence[Section], budget: Budget) -> list[Page]:
    """Fill pages in order and return them, with one empty page when there are no sections.

    A section starts on a new page unless its heading and first unit fit on
    the current one. A heading with its largest unit must fit in `budget`.
    Otherwise that page goes over budget, so callers keep units small.
    """
    pages: list[Page] = []
    current = _PageBuilder(budget)
    for section in sections:
        opening_blocks = section.heading.block_count
        opening_length = section.heading.length
        if section.units:
            opening_blocks += section.units[0].block_count
            opening_length += section.units[0].length
        if current.units and not current.fits(opening_blocks, opening_length):
            pages.append(current.page())
            current = _PageBuilder(budget)
        current.add(section.heading, section.key)

        for unit in section.units:
            if not current.fits(unit.block_count, unit.length):
                pages.append(current.page())
                current = _PageBuilder(budget)
                current.add(section.continued_heading, section.key)
            current.add(unit)
    pages.append(current.page())
    return pages


def text_length(blocks: Sequence[Block]) -> int:
    """Count the characters of every `text` string in the blocks, which the text budget limits."""
    return sum(dict_text_length(block.to_dict()) for block in blocks)


def dict_text_length(value: Any) -> int:
    """Count the characters of every `text` string in Block Kit JSON."""
    if isinstance(value, dict):
        total = 0
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                total += len(item)
            else:
                total += dict_text_length(item)
        return total
    if isinstance(value, list):
        return sum(dict_text_length(item) for item in value)
    return 0
