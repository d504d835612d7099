"""Turning one .py member into a syntax tree: its encoding honoured, hostile shapes refused."""

import ast
import codecs
import re

from services.node_classes.limits import ScanLimits

# PEP 263: a comment naming the encoding on the first or second line (the first a comment).
CODING_LINE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
BLANK_OR_COMMENT = re.compile(rb"^[ \t\f]*(?:[#\r]|$)")
# The start of a syntax error's message kept in a note.
MESSAGE_CHARS = 80


class SkippedFile(Exception):
    """Why one file is left out of the scan; the rest of the pack is still read."""


def declared_encoding(data: bytes) -> str | None:
    """The encoding a PEP 263 coding line in the first two lines names, or None."""
    for line in data.split(b"\n", 2)[:2]:
        if found := CODING_LINE.match(line):
            return found.group(1).decode("ascii")
        if not BLANK_OR_COMMENT.match(line):
            return None
    return None


def decode_source(data: bytes) -> str:
    """The file's text: UTF-8, or what its PEP 263 coding line names; SkippedFile otherwise."""
    declared = declared_encoding(data)
    if declared is None:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SkippedFile("not UTF-8 and no coding line") from None
    try:
        codecs.lookup(declared)
    except LookupError:
        raise SkippedFile(f"an unknown encoding in its coding line: {declared}") from None
    try:
        return data.decode(declared)
    except (UnicodeDecodeError, ValueError, LookupError):
        raise SkippedFile(f"not valid {declared}, as its coding line says") from None


def longest_line(text: str) -> int:
    """The length of the file's longest line."""
    return max(map(len, text.split("\n")), default=0)


def parse_source(data: bytes, limits: ScanLimits) -> ast.Module:
    """The file's syntax tree; SkippedFile naming why it cannot be had."""
    text = decode_source(data)
    if longest_line(text) > limits.max_line_chars:
        raise SkippedFile(f"a line longer than {limits.max_line_chars:,} characters")
    try:
        return ast.parse(text)
    except SyntaxError as exc:
        where = f" on line {exc.lineno}" if exc.lineno else ""
        raise SkippedFile(f"a syntax error{where}: {exc.msg[:MESSAGE_CHARS]}") from None
    except (RecursionError, MemoryError):
        raise SkippedFile("nested too deeply to parse") from None
    except ValueError as exc:  # e.g. a NUL byte in the source
        raise SkippedFile(f"not parseable: {exc}") from None
