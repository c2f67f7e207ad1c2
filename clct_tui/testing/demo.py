"""A sandboxed clct to try and to screenshot: the real app, the real CLI, a scripted model.

``python -m clct_tui.testing.demo [REPO]`` (or ``make demo``) opens the app on REPO — by
default a fresh example repository — with HOME, the XDG folders and the Claude config in a
temporary folder and ``ANTHROPIC_BASE_URL`` pointing at a scripted Messages API. Nothing of
the user's own state is read or written, and no network is used.

Any prompt gets a streamed answer that writes a Markdown file named after the prompt;
a prompt that mentions "test" asks to run a command, which waits for approval.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import tempfile
from pathlib import Path

from clct_tui.orchestrator.naming import slugify
from clct_tui.testing.home import isolate
from clct_tui.testing.scripted_api import Reply, ScriptedAPI, text, tool_use

EXAMPLE_FILES = {
    "README.md": "# pelican\n\nA tiny static site generator.\n",
    "pelican/__init__.py": '"""pelican: Markdown in, HTML out."""\n',
    "pelican/render.py": "def render(markdown: str) -> str:\n    return f'<p>{markdown}</p>'\n",
}


def demo_replies(prompt: str, delay: float = 0.02) -> list[Reply]:
    """What the scripted model answers to ``prompt``."""
    if "test" in prompt.lower():
        return [
            tool_use("Bash", {"command": "python3 -c \"open('TESTED', 'w').write('ok')\"",
                              "description": "Run the tests"}, say="I'll run the test suite first.", delay=delay),
            text("All **12 tests** pass.", delay=delay),
        ]
    if "long" in prompt.lower():  # a long answer, to watch the transcript tail it
        paragraphs = (f"{i}. The answer goes on, one paragraph after another, so the pane keeps scrolling "
                      "to follow it while the other agents work." for i in range(1, 61))
        return [text("\n\n".join(paragraphs), delay=delay)]
    name = f"{slugify(prompt, 3, 30) or 'notes'}.md"
    body = f"# {prompt.strip().splitlines()[0][:60]}\n\n- planned\n- written\n- checked\n"
    return [
        tool_use("Write", {"file_path": name, "content": body}, say=f"Let me write `{name}`.", delay=delay),
        text(f"Done. I wrote **{name}**:\n\n1. the plan\n2. the change\n3. a check\n\n"
             "```python\nprint('hello from the demo')\n```", delay=delay),
    ]


def make_example_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, content in EXAMPLE_FILES.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(content)
    git = lambda *args: subprocess.run(["git", *args], cwd=path, check=True, capture_output=True)
    git("init", "-q", "-b", "main")
    git("config", "user.name", "Demo Person")
    git("config", "user.email", "demo@example.com")
    git("add", "-A")
    git("commit", "-q", "-m", "Initial commit")
    return path


def sandbox(root: Path, api: ScriptedAPI) -> None:
    """Point this process (and the CLI it starts) at ``root`` and the scripted API."""
    isolate(root / "home")
    os.environ.update(api.env())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clct_tui.testing.demo", description=__doc__.splitlines()[0])
    parser.add_argument("repo", nargs="?", help="a repository to open (default: a fresh example repository)")
    parser.add_argument("--delay", type=float, default=0.02, help="seconds between streamed chunks")
    parser.add_argument("--sandbox", metavar="DIR",
                        help="keep the sandbox in DIR (reused next time) instead of a temporary folder")
    args = parser.parse_args(argv)

    from clct_tui.config import Config
    from clct_tui.tui.app import ClctApp

    with contextlib.ExitStack() as stack:
        api = stack.enter_context(ScriptedAPI(default=lambda prompt: demo_replies(prompt, args.delay)))
        if args.sandbox:
            root = Path(args.sandbox).resolve()
            root.mkdir(parents=True, exist_ok=True)
        else:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="clct-demo-")))
        sandbox(root, api)
        example = root / "pelican"
        if args.repo:
            repo = Path(args.repo).resolve()
        else:
            repo = example if (example / ".git").exists() else make_example_repo(example)
        ClctApp(repo, Config.load()).run()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
