"""Build the examples gallery: one page per script in ``examples/``.

Each page shows the script's docstring as its introduction, the commands
that run it (in full and in smoke mode) and its source. Nothing is executed
while the site builds: the test suite runs every example in smoke mode.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def _examples():
    return sorted(p for p in EXAMPLES.glob("*.py") if not p.name.startswith("_"))


def _docstring(path):
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    if not doc:
        raise ValueError(f"{path}: an example must start with a docstring saying what it shows")
    return doc


def _title_and_body(doc):
    title, _, body = doc.partition("\n")
    return title.strip().rstrip("."), body.strip()


def _plain(title):
    """A title for the navigation, which shows text only: ``code`` without its quotes."""
    return re.sub(r"`{1,2}([^`]+)`{1,2}", r"\1", title)


def _split_run(body):
    """The docstring's prose, and its ``Run:`` paragraph as command lines."""
    prose, commands = [], []
    for paragraph in body.split("\n\n"):
        if paragraph.startswith("Run:"):
            lines = paragraph[len("Run:") :].splitlines()
            commands += [line.strip() for line in lines if line.strip()]
        else:
            prose.append(paragraph)
    return "\n\n".join(prose), commands


def _example_page(path):
    title, body = _title_and_body(_docstring(path))
    prose, commands = _split_run(body)
    commands = commands or [f"python examples/{path.name}", f"python examples/{path.name} --smoke"]
    source = path.read_text(encoding="utf-8")
    run = "\n".join(commands)
    return (
        f"# {title}\n\n{prose}\n\n"
        "Run it from the repository root (`--smoke` is the fast version the tests run):\n\n"
        f"```bash\n{run}\n```\n\n"
        f"## Source: `examples/{path.name}`\n\n"
        f"```python\n{source}```\n"
    )


def _index_page(paths):
    lines = [
        "# Examples",
        "",
        "Runnable scripts in `examples/`. Each makes or reads its own data, and each",
        "runs in the test suite in a fast smoke mode (`--smoke`).",
        "",
    ]
    for path in paths:
        title, body = _title_and_body(_docstring(path))
        prose, _ = _split_run(body)
        summary = prose.split("\n\n")[0].replace("\n", " ")
        lines.append(f"- [{title}]({path.stem}.md): {summary}")
    return "\n".join(lines) + "\n"


def on_config(config):
    nav = config["nav"]
    pages = [{"Overview": "examples/index.md"}] + [
        {_plain(_title_and_body(_docstring(p))[0]): f"examples/{p.stem}.md"} for p in _examples()
    ]
    for i, entry in enumerate(nav):
        if isinstance(entry, dict) and "Examples" in entry:
            nav[i] = {"Examples": pages}
    return config


def on_files(files, config):
    paths = _examples()
    files.append(File.generated(config, "examples/index.md", content=_index_page(paths)))
    for path in paths:
        page = _example_page(path)
        files.append(File.generated(config, f"examples/{path.stem}.md", content=page))
    return files
