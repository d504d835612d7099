"""Turning one .py member into a syntax tree: its encoding honoured, hostile shapes refused."""

import ast
import io
import tokenize

from services.node_classes.limits import ScanLimits


class SkippedFile(Exception):
    """Why one file is left out of the scan; the rest of the pack is still read."""


def decode_source(data: bytes) -> str:
    """The file's text: UTF-8, or what its PEP 263 coding line names; SkippedFile otherwise."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise SkippedFile(f"an unusable coding line ({exc.msg})") from None
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        if encoding in ("utf-8", "utf-8-sig"):
            raise SkippedFile("not UTF-8 and no coding line") from None
        raise SkippedFile(f"not valid {encoding}") from None


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
        raise SkippedFile(f"a syntax error on line {exc.lineno}") from None
    except (RecursionError, MemoryError):
        raise SkippedFile("nested too deeply to parse") from None
    except ValueError as exc:  # e.g. a NUL byte in the source
        raise SkippedFile(f"not parseable: {exc}") from None
