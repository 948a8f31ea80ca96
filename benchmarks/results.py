"""Write one benchmark's section of RESULTS.md, leaving the other benchmarks' sections alone."""

from __future__ import annotations

import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
HEADER = (
    "# Benchmark results\n\n"
    "Each section is written by the script it names; rerun the script instead of editing by hand.\n"
    "The machine is shared and noisy: compare configurations measured in the same run.\n"
)


def write_section(name: str, markdown: str, path: Path = RESULTS) -> None:
    """Replace (or append) the section of benchmark ``name`` in ``path``."""
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    block = f"{begin}\n{markdown.strip()}\n{end}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.DOTALL)
    found = pattern.search(text)
    text = pattern.sub(lambda _: block, text) if found else text.rstrip("\n") + "\n\n" + block
    path.write_text(text, encoding="utf-8")
