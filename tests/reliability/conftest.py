"""Reliability tests stand on the end-to-end fixtures: the real CLI, real git, real SQLite, a scripted model."""

from tests.e2e.conftest import config, git_repo, isolated_env, make_repo, rows, scripted_api  # noqa: F401 (fixtures)
