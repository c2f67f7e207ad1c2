"""Reliability tests stand on the end-to-end fixtures: the real CLI, real git, real SQLite, a scripted model."""

from tests.commands.conftest import Clct, Result, clct, git  # noqa: F401 (`clct`: the command as a subprocess)
from tests.e2e.conftest import (  # noqa: F401 (fixtures)
    config,
    git_repo,
    isolated_env,
    make_repo,
    rows,
    scripted_api,
)
from tests.tui.conftest import make_app  # noqa: F401 (the real app over this test's config)
