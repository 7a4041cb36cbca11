"""Shared bits of the page classes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Link:
    url: str
    text: str


class SelectorCountError(ValueError):
    """A selector matched a number of items outside what the page class expects."""


def expect_count(items: list, what: str, url: str, *, low: int = 0, high: int | None = None) -> list:
    n = len(items)
    if n < low or (high is not None and n > high):
        want = f"{low}..{high}" if high is not None else f">= {low}"
        raise SelectorCountError(f"{what}: found {n}, expected {want} on {url}")
    return items
