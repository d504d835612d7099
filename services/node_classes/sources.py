"""Turning one .py member into a syntax tree: its encoding honoured, hostile shapes refused."""

import ast
import codecs
import contextlib
import gc
import re
from collections.abc import Iterator

from services.node_classes.limits import ScanLimits

# PEP 263: a comment naming the encoding on the first or second line (the first a comment).
CODING_LINE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
BLANK_OR_COMMENT = re.compile(rb"^[ \t\f]*(?:[#\r]|$)")
# The only methods whose bodies the scan follows (see classes.py and scan.py).
READ_METHODS = {"define_schema", "get_node_list"}
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


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for a block, as it was after it.

    A syntax tree is hundreds of thousands of objects without cycles; collections triggered
    while one is built traverse every object alive, and made parsing several times slower.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def trimmed(tree: ast.Module) -> ast.Module:
    """The tree with the bodies of methods the scan never reads left out, to hold less memory.

    Only statements are walked (classes inside if, try, with and loop blocks too), never
    expressions or function bodies: walking every node would cost as much as a second parse.
    """
    blocks = [tree.body]
    while blocks:
        for statement in blocks.pop():
            if isinstance(statement, ast.ClassDef):
                for member in statement.body:
                    is_method = isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef)
                    if is_method and member.name not in READ_METHODS:
                        member.body = [ast.Pass()]
                blocks.append(statement.body)
            elif isinstance(statement, ast.If | ast.For | ast.AsyncFor | ast.While):
                blocks.extend((statement.body, statement.orelse))
            elif isinstance(statement, ast.With | ast.AsyncWith):
                blocks.append(statement.body)
            elif isinstance(statement, ast.Try | ast.TryStar):
                blocks.extend((statement.body, statement.orelse, statement.finalbody))
                blocks.extend(handler.body for handler in statement.handlers)
    return tree


def longest_line(text: str) -> int:
    """The length of the file's longest line."""
    return max(map(len, text.split("\n")), default=0)


def parse_source(data: bytes, limits: ScanLimits) -> ast.Module:
    """The file's syntax tree; SkippedFile naming why it cannot be had."""
    text = decode_source(data)
    if longest_line(text) > limits.max_line_chars:
        raise SkippedFile(f"a line longer than {limits.max_line_chars:,} characters")
    try:
        with collector_paused():
            return trimmed(ast.parse(text))
    except SyntaxError as exc:
        where = f" on line {exc.lineno}" if exc.lineno else ""
        raise SkippedFile(f"a syntax error{where}: {exc.msg[:MESSAGE_CHARS]}") from None
    except (RecursionError, MemoryError):
        raise SkippedFile("nested too deeply to parse") from None
    except ValueError as exc:  # e.g. a NUL byte in the source
        raise SkippedFile(f"not parseable: {exc}") from None
