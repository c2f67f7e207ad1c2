"""Bad input: each is refused with a message that names the problem, and changes nothing.

Every case goes through what a person types — `clct` as a subprocess (exit status 2, one line on
stderr, no traceback), the app's new-agent dialog, or the Orchestrator API — and then checks that
the database rows and the repository (worktrees, branches, status) are exactly as before.
A repository with one agent and one finished run stands before each case, so "as before" is not
merely "empty".
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.widgets import Input

import tests.commands.conftest as commands
from clct_tui import Orchestrator
from clct_tui.errors import AgentError
from clct_tui.testing.scripted_api import ScriptedAPI, text
from clct_tui.tui.screens.new_agent import NewAgentScreen
from tests.reliability.conftest import Clct, Result, git, make_repo
from tests.tui.conftest import SIZE, engine_ready, make_app, wait_for  # noqa: F401 (make_app: a fixture)

TABLES = ("repo", "worktree", "agent", "run", "event", "session", "task")


@dataclass(frozen=True)
class State:
    """What bad input must not change: every row clct keeps, and the repository as git sees it."""

    rows: dict[str, list[tuple]]
    worktrees: str
    branches: str
    status: str
    folders: tuple[str, ...]


def database_rows(database: Path) -> dict[str, list[tuple]]:
    if not database.exists():
        return {}
    with sqlite3.connect(database) as db:
        return {table: db.execute(f"select * from {table} order by 1").fetchall() for table in TABLES}


def state_of(repo: Path, database: Path, worktree_base: Path) -> State:
    return State(
        rows=database_rows(database),
        worktrees=git(repo, "worktree", "list", "--porcelain"),
        branches=git(repo, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads"),
        status=git(repo, "status", "--porcelain", "--untracked-files=all"),
        folders=tuple(sorted(str(p.relative_to(worktree_base)) for p in worktree_base.rglob("*")
                             if ".git" not in p.parts)) if worktree_base.exists() else (),
    )


@pytest.fixture(scope="module")
def shared_api():
    api = ScriptedAPI().start()
    yield api
    api.stop()


@pytest.fixture(scope="module")
def shared_clct(tmp_path_factory, shared_api) -> Clct:
    """One repository and database for the module: an agent named `existing` with one finished run."""
    root = tmp_path_factory.mktemp("bad-input")
    clct = Clct(commands.isolated_env(root / "home", shared_api), make_repo(root / "repo"), root / "home")
    shared_api.script("first task", [text("done")])
    clct.create("existing")
    clct.ok("run-task", "existing", "first task")
    return clct


@pytest.fixture
def clct(shared_clct: Clct) -> Clct:
    # Bad input changes nothing, so one repository serves every case (an agent run per case would
    # cost a second each); each test compares the state from its own start to its end.
    return shared_clct


@pytest.fixture
def existing(clct: Clct) -> State:
    """The state bad input must leave alone, as it is when the test starts."""
    return state_of(clct.repo, clct.database, clct.worktree_base)


@pytest.fixture
def user_config(clct: Clct):
    """config.toml in the user config dir of the shared environment, taken away after the test."""
    path = Path(clct.env["XDG_CONFIG_HOME"]) / "clct" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    yield path
    if path.is_dir():
        path.rmdir()
    path.unlink(missing_ok=True)


def raw(clct: Clct, *args: str | bytes | Path, stdin: bytes = b"", timeout: float = 90) -> Result:
    """`clct ARGS` with arguments passed as bytes when they are bytes (not UTF-8) and ``stdin`` fed in."""
    argv = [sys.executable, "-m", "clct_tui.cli", *(a if isinstance(a, bytes) else str(a) for a in args)]
    proc = subprocess.run(argv, cwd=clct.repo, env=clct.env, input=stdin, capture_output=True, timeout=timeout)
    result = Result([a.decode(errors="replace") if isinstance(a, bytes) else str(a) for a in args], proc.returncode,
                    proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace"))
    assert "Traceback" not in result.err, str(result)
    return result


def assert_refused(clct: Clct, result, *words: str, before: State) -> None:
    """Exit 2, a `clct COMMAND: ...` line that names the problem, nothing on stdout, nothing changed."""
    assert result.code == 2, str(result)
    assert result.err.startswith(f"clct {result.args[0]}: "), str(result)
    assert all(word in result.err for word in words), str(result)
    assert result.out == "", str(result)
    assert state_of(clct.repo, clct.database, clct.worktree_base) == before


# -- task files (`clct parallel FILE`) --------------------------------------------------------------

TOML_CYCLE = """
[[task]]
name = "egg"
description = "lay"
dependencies = ["hen"]

[[task]]
name = "chick"
description = "hatch"
dependencies = ["egg"]

[[task]]
name = "hen"
description = "grow"
dependencies = ["chick"]
"""

BAD_TASK_FILES = {
    "empty": ("tasks.toml", b"", ["is empty"]),
    "only-whitespace": ("tasks.json", b"  \n\t\n", ["is empty"]),
    "prose": ("tasks.txt", b"Please do the login page, then the tests.\n", ["is neither JSON nor TOML"]),
    "broken-json": ("tasks.json", b'[{"name": "a", "description": ', ["is not valid JSON"]),
    "binary": ("tasks.toml", b"\x89PNG\r\n\x1a\n\x00\x00\xff", ["is not text", "byte 0x89", "not UTF-8"]),
    "json-object-without-tasks": ("tasks.json", b'{"name": "a"}', ['expected a JSON list of tasks']),
    "no-tasks": ("tasks.toml", b'[session]\nname = "x"\n', ["no [[task]] tables"]),
    "empty-list": ("tasks.json", b"[]", ["the plan has no tasks"]),
    "cycle": ("tasks.toml", TOML_CYCLE.encode(), ["dependency cycle", "egg", "chick", "hen"]),
    "self-dependency": ("tasks.json", json.dumps(
        [{"name": "ouroboros", "description": "x", "dependencies": ["ouroboros"]}]).encode(),
        ["task 'ouroboros' depends on itself"]),
    "unknown-dependency": ("tasks.json", json.dumps(
        [{"name": "api", "description": "x", "dependencies": ["shcema"]}]).encode(),
        ["task 'api' depends on unknown task(s): shcema"]),
    "duplicate-names": ("tasks.json", json.dumps(
        [{"name": "twice", "description": "x"}, {"name": "twice", "description": "y"}]).encode(),
        ["duplicate task name(s): twice"]),
    "task-without-description": ("tasks.json", b'[{"name": "mute"}]', ["task 'mute'", "description"]),
    "branch-git-rejects": ("tasks.json", json.dumps(
        [{"name": "a", "description": "x", "branch": "bad..branch"}]).encode(),
        ["task 'a'", "'bad..branch' is not a valid git branch name"]),
    "two-tasks-one-branch": ("tasks.json", json.dumps(
        [{"name": "a", "description": "x", "branch": "shared"},
         {"name": "b", "description": "y", "branch": "shared"}]).encode(),
        ["several tasks name the same branch: shared"]),
}


@pytest.mark.parametrize("case", BAD_TASK_FILES)
def test_a_bad_task_file_is_refused_naming_the_problem_and_changes_nothing(case, clct, existing, tmp_path):
    filename, content, words = BAD_TASK_FILES[case]
    path = tmp_path / case / filename
    path.parent.mkdir()
    path.write_bytes(content)
    assert_refused(clct, clct("parallel", path), str(path), *words, before=existing)


def test_a_folder_given_as_the_task_file_is_refused(clct, existing, tmp_path):
    folder = tmp_path / "tasks.toml"
    folder.mkdir()
    assert_refused(clct, clct("parallel", folder), str(folder), "is a folder, not a file", before=existing)


def ten_thousand_tasks(cycle: bool = False) -> list[dict]:
    """A chain, the deepest graph there is: each task depends on the one before."""
    tasks = [{"name": f"t{i:05}", "description": f"step {i}", "dependencies": [f"t{i - 1:05}"] if i else []}
             for i in range(10_000)]
    if cycle:
        tasks[0]["dependencies"] = ["t09999"]
    return tasks


def test_ten_thousand_tasks_are_checked_and_planned_by_dry_run_without_creating_anything(clct, existing, tmp_path):
    # Decision: no limit on the number of tasks (a generated plan may be big); the file is checked and
    # planned at once, and --dry-run shows the plan without running 10,000 agents. The planning is
    # linear in tasks and edges; the subprocess timeout only guards against a hang.
    path = tmp_path / "big.json"
    path.write_text(json.dumps(ten_thousand_tasks()))
    result = clct.ok("parallel", path, "--dry-run", "--json", timeout=60)
    plan = result.json()
    assert (plan["tasks"], plan["dry_run"], len(plan["waves"])) == (10_000, True, 10_000)
    assert plan["waves"][0] == ["t00000"] and plan["waves"][-1] == ["t09999"]
    assert state_of(clct.repo, clct.database, clct.worktree_base) == existing


def test_ten_thousand_tasks_closing_a_cycle_are_refused_naming_it(clct, existing, tmp_path):
    path = tmp_path / "big-cycle.json"
    path.write_text(json.dumps(ten_thousand_tasks(cycle=True)))
    result = clct("parallel", path, timeout=60)
    assert_refused(clct, result, "dependency cycle", "t00000", "t09999", before=existing)


def test_dry_run_prints_the_plan_wave_by_wave_in_priority_order(clct, existing, tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text('[[task]]\nname = "schema"\ndescription = "x"\n'
                    '[[task]]\nname = "api"\ndescription = "y"\ndependencies = ["schema"]\n'
                    '[[task]]\nname = "docs"\ndescription = "z"\npriority = 5\n')
    result = clct.ok("parallel", path, "--dry-run")
    assert result.out.splitlines() == [
        "session plan: 3 task(s) in 2 wave(s); nothing created (--dry-run)",
        "wave 1: docs, schema",
        "wave 2: api",
    ]
    assert state_of(clct.repo, clct.database, clct.worktree_base) == existing


# -- names (`clct create -n NAME -b BRANCH`) -----------------------------------------------------------

BAD_NAMES = {
    "dot-dot": (["-n", ".."], ["worktree name '..' must be a single folder name"]),
    "climbing-path": (["-n", "../outside"], ["'../outside' must be a single folder name"]),
    "absolute-path": (["-n", "/abs"], ["worktree name '/abs' must be a single folder name"]),
    "space": (["-n", "a b"], ["worktree name 'a b' contains whitespace"]),
    "newline": (["-n", "a\nb"], ["contains whitespace or control characters"]),
    "300-characters": (["-n", "x" * 300], ["300 characters long; at most 100"]),
    "taken": (["-n", "existing"], ["worktree 'existing' already exists"]),
    "not-a-branch-name": (["-n", "x.lock"], ["worktree name 'x.lock' is not usable as a git branch name"]),
    "HEAD": (["-n", "HEAD"], ["worktree name 'HEAD' is not usable as a git branch name"]),
    "not-utf8": (["-n", b"caf\xe9"], ["name argument holds bytes that are not UTF-8"]),
    "branch-dot-dot": (["-n", "fresh", "-b", "bad..branch"], ["'bad..branch' is not a valid git branch name"]),
    "branch-lock": (["-n", "fresh", "-b", "x.lock"], ["'x.lock' is not a valid git branch name"]),
    "branch-HEAD": (["-n", "fresh", "-b", "HEAD"], ["'HEAD' is not a valid git branch name"]),
    "branch-dash": (["-n", "fresh", "--branch=-rf"], ["'-rf' is not a valid git branch name"]),
    "branch-trailing-slash": (["-n", "fresh", "-b", "feature/"], ["'feature/' is not a valid git branch name"]),
    "branch-reflog-syntax": (["-n", "fresh", "-b", "a@{1}"], ["'a@{1}' is not a valid git branch name"]),
    "branch-space": (["-n", "fresh", "-b", "my branch"], ["'my branch' is not a valid git branch name"]),
    "branch-taken": (["-n", "fresh", "-b", "existing"], ["branch 'existing' already exists"]),
    "branch-300-characters": (["-n", "fresh", "-b", "b" * 300], ["is 300 bytes long; at most 250 are allowed"]),
    "branch-deep-path": (["-n", "fresh", "-b", "a/" * 2000 + "b"], ["is 4001 bytes long; at most 250"]),
    "base-missing": (["-n", "fresh", "--base-branch", "no-such"], ["base 'no-such' is neither a branch nor a commit"]),
    "base-range": (["-n", "fresh", "--base-branch", "main..HEAD"], ["base 'main..HEAD' is neither"]),
}


@pytest.mark.parametrize("case", BAD_NAMES)
def test_a_bad_name_or_branch_is_refused_naming_it_and_changes_nothing(case, clct, existing):
    args, words = BAD_NAMES[case]
    result = raw(clct, "create", *args)
    assert_refused(clct, result, *words, before=existing)


def test_a_unicode_name_git_accepts_becomes_the_folder_and_the_branch(clct, existing):
    name = "ünïcødé-名前"
    agent_id = clct.create(name)
    (info,) = [a for a in clct.ok("list", "--json").json() if a["instance_id"] == agent_id]
    assert (info["name"], info["branch"]) == (name, name)
    assert clct.worktree(name).is_dir() and Path(info["path"]) == clct.worktree(name)
    assert f"refs/heads/{name}" in git(clct.repo, "for-each-ref", "--format=%(refname)", "refs/heads")


@pytest.mark.parametrize("name, words", [
    ("../escape", ["../escape"]),
    ("x" * 300, ["300 characters long"]),
    ("HEAD", ["'HEAD'", "not usable as a git branch name"]),
    ("x.lock", ["'x.lock'", "not usable as a git branch name"]),
], ids=["climbing", "300-characters", "HEAD", "lock"])
async def test_the_new_agent_dialog_refuses_a_bad_name_naming_it(name, words, scripted_api, make_app, git_repo, config):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        before = state_of(git_repo, Path(config.database_url.removeprefix("sqlite:///")), config.worktree_base_path)
        await pilot.press("n", *"some work")
        await wait_for(pilot, lambda: isinstance(app.screen, NewAgentScreen), what="the new-agent dialog")
        app.screen.query_one("#name", Input).value = name  # as if pasted: typing 300 keys proves nothing more
        await pilot.press("enter")
        messages = lambda: " ".join(f"{n.title} {n.message}" for n in app._notifications)
        await wait_for(pilot, lambda: "Cannot create the worktree" in messages(), what="the refusal")
        assert all(word in messages() for word in words), messages()
        assert app.orchestrator.list_instances() == []
        assert scripted_api.requests == []
        await app.orchestrator.drain_writes()
        after = state_of(git_repo, Path(config.database_url.removeprefix("sqlite:///")), config.worktree_base_path)
        assert after == before


# -- config (`clct -c FILE`, and the default config.toml) ----------------------------------------------

BAD_CONFIGS = {
    "text-for-a-number": ('max_concurrent_instances = "three"\n', "max_concurrent_instances",
                          "expected a whole number, got 'three'"),
    "text-for-a-flag": ('bell = "yes"\n', "bell", "expected true or false, got 'yes'"),
    "list-for-text": ('claude_model = ["opus", "sonnet"]\n', "claude_model", "expected text"),
    "table-for-text": ('[permission_mode]\nedit = true\n', "permission_mode", "expected text"),
    "not-a-number": ("max_budget_usd = nan\n", "max_budget_usd", "expected a finite number"),
    "infinite": ("approval_timeout = inf\n", "approval_timeout", "expected a finite number"),
    "out-of-range": ("max_concurrent_instances = 0\n", "max_concurrent_instances", "must be at least 1"),
    "unknown-mode": ('permission_mode = "yolo"\n', "permission_mode", "unknown permission mode 'yolo'"),
    "not-toml": ("max_retries: 3\n", "<file>", "is not valid TOML"),
}


@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_a_wrong_config_value_is_refused_naming_the_key_and_the_file(case, clct, existing, tmp_path):
    content, key, problem = BAD_CONFIGS[case]
    path = tmp_path / "config.toml"
    path.write_text(content)
    result = clct("create", "-n", "configured", "-c", path)
    assert_refused(clct, result, f"config '{key}' from {path}", problem, before=existing)


def test_unknown_config_keys_are_warned_about_with_a_suggestion_and_the_command_goes_on(clct, user_config):
    path = user_config
    path.write_text('max_concurent_instances = 5\nfavourite_colour = "teal"\nclaude_model = "from-config"\n')
    result = clct.ok("create", "-n", "configured")
    assert f"clct: warning: {path}: unknown setting 'max_concurent_instances' ignored " \
           "(did you mean 'max_concurrent_instances'?)" in result.err
    assert f"clct: warning: {path}: unknown setting 'favourite_colour' ignored\n" in result.err
    assert clct.rows("select model from agent where name = 'configured'") == [("from-config",)]


def test_a_wrong_value_in_the_environment_names_the_variable(clct, existing):
    env = clct.env | {"CLCT_MAX_RETRIES": "lots"}
    result = clct("create", "-n", "configured", env=env)
    assert_refused(clct, result, "config 'max_retries' from environment CLCT_MAX_RETRIES",
                   "expected a whole number, got 'lots'", before=existing)


# Tests run as root, and root reads a file whatever its mode, so `chmod 000` cannot make config.toml
# unreadable here: a folder in its place and bytes that are not UTF-8 are the unreadable files instead.
def test_a_folder_in_place_of_config_toml_is_refused_naming_it(clct, existing, user_config):
    path = user_config
    path.mkdir()
    result = clct("create", "-n", "configured")
    assert_refused(clct, result, f"config '<file>' from {path}: cannot be read", "Is a directory", before=existing)


def test_a_config_toml_that_is_not_utf8_is_refused_naming_the_byte(clct, existing, user_config):
    path = user_config
    path.write_bytes(b"claude_model = \"caf\xe9\"\n")
    result = clct("list")
    assert_refused(clct, result, f"config '<file>' from {path}: is not text",
                   "byte 0xe9 at position 19 is not UTF-8", before=existing)


# -- prompts (`clct run-task ID ...` and the Orchestrator API) ----------------------------------------

BAD_PROMPTS_CLI = {
    "empty": ([""], None, ["the task description is empty"]),
    "whitespace": (["  \n\t "], None, ["the task description is empty"]),
    "empty-stdin": (["-"], b"", ["the task description is empty"]),
    "not-utf8-argument": ([b"fix \xff\xfe it"], None, ["description argument holds bytes that are not UTF-8"]),
    "not-utf8-stdin": (["-"], b"fix \xff\xfe it", ["read from standard input is not UTF-8 text",
                                                   "byte 0xff at position 4"]),
    # An argument cannot hold a NUL (the OS ends it there), standard input can.
    "nul-stdin": (["-"], b"fix\x00it", ["the prompt contains a NUL character (at position 3)"]),
}


@pytest.mark.parametrize("case", BAD_PROMPTS_CLI)
def test_a_bad_prompt_to_run_task_is_refused_naming_the_problem_and_changes_nothing(
    case, clct, existing, shared_api
):
    args, stdin, words = BAD_PROMPTS_CLI[case]
    sent_before = len(shared_api.requests)
    result = raw(clct, "run-task", "existing", *args, stdin=stdin or b"")
    assert_refused(clct, result, *words, before=existing)
    assert len(shared_api.requests) == sent_before


def test_a_one_megabyte_prompt_from_standard_input_is_sent_whole(clct, shared_api):
    # Decision: no limit of clct's own on prompt size; the model's context window is the limit, and
    # the API says so itself. One argument cannot hold 1 MB (Linux caps it at 128 KiB), hence `-`.
    prompt = "MEGA-CLI " + "0123456789abcdef" * 65_536
    shared_api.script("MEGA-CLI ", [text("read it all")])
    result = raw(clct, "run-task", "existing", "-", stdin=prompt.encode())
    assert result.code == 0 and "result: success" in result.out, str(result)[:2000]
    first_line = result.out.splitlines()[0]
    assert first_line.endswith(f"…  ({len(prompt):,} characters)") and len(result.out) < 2_000  # not echoed whole
    assert any(prompt in json.dumps(body) for body in shared_api.requests)
    assert clct.rows("select length(prompt), state from run order by id desc limit 1") == [(len(prompt), "done")]


@pytest.mark.parametrize("prompt, problem", [
    ("", "the prompt is empty"),
    (" \n\t", "the prompt is empty"),
    ("read this\x00binary", "the prompt contains a NUL character (at position 9)"),
    ("caf\udce9", "the prompt is not valid text: position 3 holds bytes that are not UTF-8"),
])
async def test_a_bad_prompt_to_the_api_is_refused_before_anything_is_stored(
    prompt, problem, scripted_api, git_repo, config
):
    async with Orchestrator(git_repo, config) as orch:
        instance = await orch.create_instance(worktree_name="prompted")
        await orch.drain_writes()
        before = database_rows(Path(config.database_url.removeprefix("sqlite:///")))
        with pytest.raises(AgentError, match=re.escape(problem)):
            await instance.run_task(prompt)
        with pytest.raises(AgentError, match=re.escape(problem)):
            await instance.send(prompt)
        await orch.drain_writes()
        assert database_rows(Path(config.database_url.removeprefix("sqlite:///"))) == before
        assert instance.state.value == "idle" and not instance.is_started
    assert scripted_api.requests == []


async def test_a_one_megabyte_prompt_to_the_api_is_sent_whole(scripted_api, git_repo, config):
    prompt = "MEGA " + "x" * 1_000_000
    scripted_api.script("MEGA ", [text("read it all")])
    async with Orchestrator(git_repo, config) as orch:
        instance = await orch.create_instance(worktree_name="prompted")
        result = await instance.run_task(prompt)
    assert result["success"] and result["output"] == "read it all"
    assert any(prompt in json.dumps(body) for body in scripted_api.requests)


async def test_a_worktree_whose_agent_cannot_be_recorded_is_taken_back(git_repo, config):
    # The model name is stored with the agent, after git made the worktree; text that is not UTF-8
    # cannot be stored, so the agent is never recorded and the new worktree must not stay behind.
    before = state_of(git_repo, Path(config.database_url.removeprefix("sqlite:///")), config.worktree_base_path)
    async with Orchestrator(git_repo, config) as orch:
        with pytest.raises(UnicodeEncodeError):
            await orch.create_instance(worktree_name="orphan", model="claude-\udcff")
        assert orch.list_instances() == []
    after = state_of(git_repo, Path(config.database_url.removeprefix("sqlite:///")), config.worktree_base_path)
    assert (after.worktrees, after.branches, after.status) == (before.worktrees, before.branches, before.status)
    assert not (config.worktree_folder(git_repo) / "orphan").exists()
    # Its worktree row was written before the agent's failed; it is left marked removed, not live.
    (row,) = after.rows["worktree"]
    assert row[2] == "orphan" and row[-1] is not None
