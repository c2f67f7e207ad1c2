"""Reliability tests stand on the end-to-end fixtures: the real CLI, real git, real SQLite, a scripted model."""

from tests.e2e.conftest import config, git_repo, isolated_env, make_repo, rows, scripted_api  # noqa: F401 (fixtures)
from tests.commands.conftest import Clct, Result, clct, git  # noqa: F401,E402 (`clct`: the command as a subprocess)
from tests.tui.conftest import make_app  # noqa: F401,E402 (the real app over this test's config)
