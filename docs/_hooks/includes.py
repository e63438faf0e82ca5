"""MkDocs hooks for this site: pages that show text kept elsewhere in the repository, so the two cannot drift.

Directives, each alone on a line of a page's Markdown (a missing file or heading fails the build):

- ``<!-- include: PATH#HEADING -->`` is replaced by the body of the section ``HEADING`` (any level) of the
  Markdown file ``PATH`` (relative to the repository root), up to the next heading of the same or a higher level.
  ``PATH#`` (no heading) takes the text between the file's title and its first section. The section's
  sub-headings move so that they sit one level under the page's heading above the directive, and the
  GitHub-flavoured Markdown is adapted to Python-Markdown (see ``adapt``).
- ``<!-- include-section: PATH#HEADING -->``: the same, with the section's own heading kept, as a ``##``.
- ``<!-- include-intro: PATH#HEADING -->``: the section's text before its first sub-heading.
- ``<!-- include-code: PATH#HEADING -->``: only the fenced code blocks of the section (commands, say).
- ``<!-- additions-status -->`` is replaced by a table of the names upstream added after 0.47.3 (from
  ``tests/api/starlette-1.10-additions.json``), each marked available or planned by running the repository's own
  check (``tests/api/check_surface.py``) at build time.

This file sits in docs/ but is no page: mkdocs.yml leaves ``_hooks/`` out of the site.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import re
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

INCLUDE = re.compile(
    r"^<!-- include(?:-(?P<mode>section|intro|code))?: (?P<path>[^#\s]+)#(?P<heading>[^>]*?) -->$", re.MULTILINE
)
ADDITIONS = re.compile(r"^<!-- additions-status -->$", re.MULTILINE)
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
LIST_ITEM = re.compile(r"^(\s*)([-*+]|\d+[.)])\s")
LINK = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<target>[^)\s]+)\)")
EXTERNAL = ("http://", "https://", "mailto:", "#")


def repository_root(config: MkDocsConfig) -> Path:
    return Path(config.config_file_path).resolve().parent


def headings_of(lines: list[str]) -> list[tuple[int, int, str]]:
    """(line index, level, title) of each ATX heading, outside fenced code."""
    headings: list[tuple[int, int, str]] = []
    in_fence = False
    for index, line in enumerate(lines):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        match = None if in_fence else HEADING.match(line)
        if match:
            headings.append((index, len(match.group(1)), match.group(2)))
    return headings


def find_section(text: str, heading: str, source: str) -> tuple[list[str], list[str], int]:
    """The heading line (none for the preamble, ``heading == ""``), the body lines and the level of a section."""
    lines = text.splitlines()
    headings = headings_of(lines)
    if heading == "":
        start = headings[0][0] + 1 if headings and headings[0][1] == 1 else 0
        end = next((index for index, level, _ in headings if level > 1 and index >= start), len(lines))
        return [], lines[start:end], 1
    for position, (index, level, title) in enumerate(headings):
        if title == heading:
            end = next((i for i, lvl, _ in headings[position + 1 :] if lvl <= level), len(lines))
            return [lines[index]], lines[index + 1 : end], level
    raise PluginError(f"{source} has no section titled {heading!r} (a page includes it: see docs/_hooks/includes.py)")


def fenced_blocks(lines: list[str]) -> list[str]:
    """The fenced code blocks among ``lines``, fences included, a blank line between two blocks."""
    out: list[str] = []
    in_fence = False
    for line in lines:
        opens = FENCE.match(line) is not None
        if opens and not in_fence and out:
            out.append("")
        if in_fence or opens:
            out.append(line)
        if opens:
            in_fence = not in_fence
    return out


def adapt(body: str, shift: int) -> str:
    """Make GitHub-flavoured Markdown read the same under Python-Markdown.

    - Python-Markdown nests a list only under four spaces of indentation, GitHub under two: leading spaces are
      doubled (outside fenced code, whose content is left alone).
    - Python-Markdown starts a list only after a blank line: one is added where a list item directly follows a
      paragraph, or a line at its own indentation or less (within a list, a line indented deeper than the next
      item is the previous item's continuation, and the list stays tight).
    - Headings move up by ``shift`` levels.
    - Links to files of the repository become plain text: the site does not serve the repository's files.
    """
    out: list[str] = []
    in_fence = False
    previous = ""
    run_starts_with_item = False  # whether the lines since the last blank one began with a list item
    for line in body.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            out.append(line)
            previous = line
            continue
        if in_fence:
            out.append(line)
            previous = line
            continue
        stripped = line.lstrip(" ")
        line = " " * (2 * (len(line) - len(stripped))) + stripped
        heading = HEADING.match(line)
        if heading and shift:
            hashes = max(1, len(heading.group(1)) - shift)
            line = "#" * hashes + " " + heading.group(2)
        item = LIST_ITEM.match(line)
        if not previous.strip():
            run_starts_with_item = item is not None
        elif item and not LIST_ITEM.match(previous):
            deeper = len(previous) - len(previous.lstrip(" ")) > len(item.group(1))
            if not run_starts_with_item or not deeper:
                out.append("")
        line = LINK.sub(
            lambda m: m.group(0) if m.group("target").startswith(EXTERNAL) else m.group("text"),
            line,
        )
        out.append(line)
        previous = line
    return "\n".join(out)


def include(match: re.Match[str], root: Path, context_level: int) -> str:
    relative = match.group("path")
    path = (root / relative).resolve()
    if root not in path.parents or not path.is_file():
        raise PluginError(f"cannot include {relative!r}: no such file in the repository")
    mode = match.group("mode")
    heading, body, level = find_section(path.read_text(encoding="utf-8"), match.group("heading"), relative)
    if mode == "code":
        blocks = fenced_blocks(body)
        if not blocks:
            raise PluginError(f"the section {match.group('heading')!r} of {relative} has no code block to include")
        return "\n".join(blocks)
    if mode == "intro":
        first = next((index for index, _, _ in headings_of(body)), len(body))
        body = body[:first]
    if mode == "section":
        return adapt("\n".join(heading + body).strip("\n"), level - 2)
    return adapt("\n".join(body).strip("\n"), level - context_level)


def context_level(markdown: str, position: int) -> int:
    """The level of the page's last heading before ``position`` (1 when there is none)."""
    headings = headings_of(markdown[:position].splitlines())
    return headings[-1][1] if headings else 1


def load_check_surface(root: Path) -> Any:
    path = root / "tests" / "api" / "check_surface.py"
    spec = importlib.util.spec_from_file_location("_docs_check_surface", path)
    if spec is None or spec.loader is None:
        raise PluginError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def describe(name: str, spec: dict[str, Any], existed: bool) -> str:
    """What upstream added, in a few words, from the additions manifest's entry."""
    kind = spec.get("kind")
    parts: list[str] = []
    if not existed:
        if kind == "value" and spec.get("repr"):
            parts.append(f"new constant, `{spec['repr']}`")
        elif kind == "value":
            parts.append(f"new `{spec.get('type', 'value')}`")
        else:
            parts.append(f"new {'exception ' if 'Error' in name or 'Warning' in name else ''}class")
    accepted = spec.get("init_accepts") or spec.get("signature_accepts") or []
    if accepted and existed:
        parts.append("accepts " + ", ".join(f"`{keyword}=`" for keyword in accepted))
    members = spec.get("members", {})
    new_members = [member for member, member_spec in members.items() if not member_spec.get("accepts")]
    if existed:
        parts.extend(f"new `{member}`" for member in new_members)
        for member, member_spec in members.items():
            if member_spec.get("accepts") and member != "__init__":
                parts.append(f"`{member}()` accepts " + ", ".join(f"`{k}=`" for k in member_spec["accepts"]))
    return "; ".join(parts)


def additions_table(root: Path) -> str:
    manifest_dir = root / "tests" / "api"
    additions: dict[str, dict[str, Any]] = json.loads(
        (manifest_dir / "starlette-1.10-additions.json").read_text(encoding="utf-8")
    )
    baseline: dict[str, dict[str, Any]] = json.loads(
        (manifest_dir / "starlette-0.47.3.json").read_text(encoding="utf-8")
    )
    check_surface = load_check_surface(root)
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        check_surface.check_additions(additions)
    lines = report.getvalue().splitlines()
    summary = next((line for line in lines if line.startswith("additions: ")), None)
    if summary is None:
        raise PluginError("tests/api/check_surface.py printed no 'additions: N/M' line")
    problems = [line for line in lines if line is not summary]

    def available(module: str, name: str) -> bool:
        where = f"{module}.{name}"
        for problem in problems:
            if problem.startswith(f"{module}: cannot import"):
                return False
            if problem.startswith(where) and problem[len(where) : len(where) + 1] in (".", "(", ":"):
                return False
        return True

    rows = ["| module | name | what upstream added | here |", "|---|---|---|---|"]
    here: list[str] = []
    for module, names in additions.items():
        for name, spec in names.items():
            existed = name in baseline.get(module, {})
            is_here = available(module, name)
            if is_here:
                here.append(f"`{module}.{name}` ({describe(name, spec, existed)})")
            status = "**available**" if is_here else "planned"
            rows.append(f"| `{module}` | `{name}` | {describe(name, spec, existed)} | {status} |")
    count = summary.removeprefix("additions: ").removesuffix(" names match")
    available_now = "\n".join(f"- {entry}" for entry in here) or "- none yet"
    return (
        f"At this build, `tests/api/check_surface.py` reports **{count}** of these names as offered here. "
        f"Available today:\n\n{available_now}\n\nThe rest are planned. All of them:\n\n" + "\n".join(rows)
    )


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    root = repository_root(config)
    markdown = INCLUDE.sub(lambda match: include(match, root, context_level(match.string, match.start())), markdown)
    if ADDITIONS.search(markdown):
        table = additions_table(root)
        markdown = ADDITIONS.sub(lambda _: table, markdown)
    return markdown
