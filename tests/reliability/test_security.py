"""Security: the API key stays out of everything clct writes; worktrees stay in their folder; no
user text reaches a shell; config.toml with a key is private; agents edit their worktree only.

Everything runs for real — `clct` subprocesses, the Claude Code CLI, git and SQLite — against the
scripted model.
"""

from __future__ import annotations

import ast
import os
import stat
import uuid
from pathlib import Path

import pytest

from clct_tui import Config, Orchestrator, paths
from clct_tui.agents.redact import MASK, Redactor
from clct_tui.domain import EventKind, TranscriptEvent
from clct_tui.orchestrator.events import ApprovalRequested
from clct_tui.testing.scripted_api import hang, status, text, tool_use
from clct_tui.tui.screens.approval import ApprovalScreen
from tests.reliability.conftest import Clct, git
from tests.tui.conftest import (  # noqa: F401 (make_app: a fixture)
    SIZE,
    engine_ready,
    make_app,
    screen_text,
    start_agent,
    wait_for,
)

CLCT_SOURCE = Path(__file__).resolve().parents[2] / "clct_tui"


# -- the API key ------------------------------------------------------------------------------------


def files_under(root: Path, skip: Path | None = None) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()
            and (skip is None or not p.is_relative_to(skip))]


def holding(files: list[Path], secret: str) -> list[str]:
    """The files that hold ``secret``; one gone meanwhile (SQLite drops -shm and -wal as its last
    connection closes) holds nothing."""
    found = []
    for path in files:
        try:
            if secret.encode() in path.read_bytes():
                found.append(str(path))
        except FileNotFoundError:
            pass
    return found


def test_the_api_key_is_in_no_file_clct_wrote_and_in_nothing_it_printed(clct: Clct, scripted_api, tmp_path):
    key = f"sk-ant-api03-CLCTSECRET-{uuid.uuid4().hex}"
    env = clct.env | {"ANTHROPIC_API_KEY": key}
    # The model gets the key out of the CLI's environment with a tool call, then says it back in a
    # streamed answer whose chunks split it; then runs fail every way they can here.
    scripted_api.script("show me the environment", [
        tool_use("Bash", {"command": "env | grep ANTHROPIC_API_KEY"}),
        text(f"Found it: {key} is your key; keep it safe.", chunk_size=5),
    ])
    scripted_api.script("refuse this", [status(400, times=50)])
    scripted_api.script("never answer", [hang()])
    # A cli_path may be any program, e.g. a wrapper script; this one reports its environment on
    # stderr and fails — the real CLI never does, so a stand-in it has to be.
    wrapper = tmp_path / "claude-wrapper"
    wrapper.write_text('#!/bin/sh\necho "cannot start, environment: ANTHROPIC_API_KEY=$ANTHROPIC_API_KEY" >&2\nexit 3\n')
    wrapper.chmod(0o755)
    broken = env | {"CLCT_CLI_PATH": str(wrapper)}
    printed = []

    def run(*args, code: int | tuple[int, ...] = 0, environment: dict[str, str] = env):
        result = clct("-v", *args, env=environment)
        assert result.code in ((code,) if isinstance(code, int) else code), str(result)
        printed.append(result)
        return result

    for name in ("keyholder", "refused", "unanswered"):
        run("create", "-n", name)
    shown = run("run-task", "keyholder", "show me the environment", "--approve", "auto")
    run("run-task", "refused", "refuse this", code=1)
    run("run-task", "unanswered", "never answer", "--timeout", "2", code=1)
    run("create", "-n", "broken", "--start", code=1, environment=broken)
    run("run-task", "keyholder", "anything", code=1, environment=broken)
    run_ids = [r["id"] for r in run("history", "--json").json()]
    for run_id in run_ids:
        run("show", run_id)
        run("show", run_id, "--json")
    for args in (["history"], ["list"], ["list", "--json"], ["cleanup", "--dry-run"]):
        run(*args)
    run("health", "--json", code=(0, 1))

    # The key really was there to leak: the model (the scripted server) saw it in the tool result.
    assert any(key in str(body) for body in scripted_api.requests)
    assert f"Found it: {MASK} is your key" in shown.out
    assert any(f"ANTHROPIC_API_KEY={MASK}" in r.out for r in printed)  # `show` of the Bash result
    assert any(f"environment: ANTHROPIC_API_KEY={MASK}" in r.err for r in printed)  # the wrapper's complaint
    for result in printed:
        assert key not in result.out and key not in result.err, str(result)
    # Every file clct wrote: the database (with its -wal and -shm), the XDG config/data/state/cache
    # folders, the worktrees and the repository's .git. CLAUDE_CONFIG_DIR is left out: it is the
    # Claude Code CLI's own state (its session logs hold what the model saw), not clct's.
    assert list(clct.home.glob("history.db*"))
    written = files_under(clct.home, skip=clct.home / ".claude") + files_under(clct.repo)
    assert len(written) > 20
    assert holding(written, key) == []


def test_a_failing_setup_command_that_prints_the_key_leaves_it_out_of_the_stored_error(clct: Clct, tmp_path):
    key = f"sk-ant-api03-CLCTSECRET-{uuid.uuid4().hex}"
    config = tmp_path / "config.toml"
    config.write_text('setup_command = "sh -c \'echo setup sees key=$ANTHROPIC_API_KEY; exit 1\'"\n')
    tasks = tmp_path / "tasks.json"
    tasks.write_text('[{"name": "setup-fails", "description": "never starts"}]')
    result = clct("parallel", tasks, "-c", config, env=clct.env | {"ANTHROPIC_API_KEY": key})
    assert result.code == 1 and key not in result.out + result.err, str(result)
    ((error,),) = clct.rows("select error from task")
    assert f"setup sees key={MASK}" in error
    assert holding(files_under(clct.home, skip=clct.home / ".claude"), key) == []


def test_a_key_split_across_streamed_chunks_is_masked_and_other_text_joins_unchanged():
    key = "sk-ant-api03-abcdefghijklmnop"
    answer = f"sk-ant is how keys start; yours is {key}; and a prefix sk-ant-api03-abc is not a key. sk-"
    for size in range(1, 12):
        redactor = Redactor([key])
        out = []
        for i in range(0, len(answer), size):
            out += redactor.events(TranscriptEvent(EventKind.TEXT, answer[i:i + size], {"block": "m:0"}))
        out += redactor.release()
        assert "".join(e.text for e in out) == answer.replace(key, MASK)
        assert all(key not in e.text for e in out) and {e.block for e in out} == {"m:0"}


def test_text_held_back_for_a_possible_key_comes_out_before_the_next_event():
    redactor = Redactor(["sk-ant-api03-abcdefghijklmnop"])
    first = redactor.events(TranscriptEvent(EventKind.TEXT, "ends with sk-", {"block": "m:0"}))
    then = redactor.events(TranscriptEvent(EventKind.TOOL_USE, data={"name": "Read", "input": {}}))
    assert [(e.kind, e.text) for e in first + then] == [
        (EventKind.TEXT, "ends with "), (EventKind.TEXT, "sk-"), (EventKind.TOOL_USE, "")]


def test_keys_are_masked_anywhere_in_an_events_data():
    key = "sk-ant-api03-abcdefghijklmnop"
    event = TranscriptEvent(EventKind.TOOL_USE, data={"name": "Write", "input": {
        "file_path": ".env", "content": f"KEY={key}\n", "lines": [key, 3]}})
    (masked,) = Redactor([key]).events(event)
    assert masked.data == {"name": "Write", "input": {"file_path": ".env", "content": f"KEY={MASK}\n",
                                                      "lines": [MASK, 3]}}


def test_without_a_key_events_pass_through_untouched():
    event = TranscriptEvent(EventKind.TEXT, "s", {"block": "m:0"})
    assert Redactor([]).events(event) == [event]
    assert Redactor(["short"]).secrets == []  # too short to be a credential; masking it would garble text


# -- worktrees stay under worktree_base_path --------------------------------------------------------


def test_a_symlink_planted_in_the_worktree_folder_cannot_send_a_worktree_elsewhere(clct: Clct, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    planted = clct.worktree("planted")
    planted.parent.mkdir(parents=True)
    planted.symlink_to(outside)
    result = clct("create", "-n", "planted")
    assert result.code == 2 and "worktree 'planted' would escape" in result.err, str(result)
    assert list(outside.iterdir()) == []
    assert git(clct.repo, "worktree", "list").count("\n") == 1
    assert "planted" not in git(clct.repo, "branch", "--list")


def test_a_repository_folder_linked_out_of_the_base_is_refused_before_anything_is_made(clct: Clct, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    linked = clct.worktree("x").parent  # the repository's own folder under worktree_base_path
    linked.parent.mkdir(parents=True)
    linked.symlink_to(outside)
    result = clct("create", "-n", "lured")
    assert result.code == 2, str(result)
    assert f"the worktree folder {linked} leads to {outside}, outside worktree_base_path" in result.err
    assert list(outside.iterdir()) == [] and git(clct.repo, "worktree", "list").count("\n") == 1


def test_a_worktree_base_path_that_is_itself_a_link_is_followed_and_the_worktrees_stay_in_it(clct: Clct, tmp_path):
    target = tmp_path / "real-base"
    target.mkdir()
    link = tmp_path / "base-link"
    link.symlink_to(target)
    env = clct.env | {"CLCT_WORKTREE_BASE_PATH": str(link)}
    agent_id = clct.ok("create", "-n", "linked", env=env).out.strip()
    (info,) = clct.ok("list", "--json", env=env).json()
    assert info["instance_id"] == agent_id and Path(info["path"]).is_relative_to(target)
    assert Path(info["path"]).is_dir()


async def test_task_names_that_look_like_paths_become_worktrees_inside_the_base(scripted_api, git_repo, config):
    plan = [{"name": "../../escape", "description": "climb out"}, {"name": "/etc/passwd", "description": "go abs"}]
    async with Orchestrator(git_repo, config) as orch:
        result = await orch.run_parallel_tasks(plan, session_name="paths")
        folders = [Path(i.worktree.path) for i in orch.list_instances()]
    assert result["success"], result
    base = config.worktree_folder(git_repo).resolve()
    assert sorted(f.name for f in folders) == ["paths-escape", "paths-etc-passwd"]
    assert all(f.resolve().parent == base for f in folders)
    assert not (config.worktree_base_path.parent / "escape").exists()


# -- no user text reaches a shell -------------------------------------------------------------------


def shell_calls(source: str) -> list[str]:
    """Calls that would hand a string to a shell: os.system/popen, shell=True, create_subprocess_shell."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = ast.unparse(node.func)
        if name in ("os.system", "os.popen", "asyncio.create_subprocess_shell") or name.endswith("spawnlp"):
            found.append(name)
        for kw in node.keywords:
            if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                found.append(f"{name}(shell=...)")
    return found


def test_nothing_in_clct_runs_a_shell():
    offenders = {str(p.relative_to(CLCT_SOURCE)): calls for p in CLCT_SOURCE.rglob("*.py")
                 if (calls := shell_calls(p.read_text()))}
    assert offenders == {}
    assert shell_calls("import os\nos.system('x')\nsubprocess.run('x', shell=True)\n") == [
        "os.system", "subprocess.run(shell=...)"]  # the check itself finds what it looks for


@pytest.mark.parametrize("name, branch", [
    ("$(touch${IFS}pwned)", None),
    ("x", "`touch${IFS}pwned`"),
    ("semi;touch${IFS}pwned", None),
])
def test_shell_syntax_in_a_name_or_branch_is_only_ever_a_name(name, branch, clct: Clct, tmp_path):
    args = ["-b", branch] if branch else []
    agent_id = clct.create(name, *args)
    (info,) = [a for a in clct.ok("list", "--json").json() if a["instance_id"] == agent_id]
    assert (info["name"], info["branch"]) == (name, branch or name)
    assert clct.worktree(name).is_dir()
    assert [p for p in tmp_path.rglob("pwned*")] == []


def test_the_setup_command_runs_as_a_program_with_arguments_not_through_a_shell(clct: Clct, tmp_path):
    # setup_command is the one piece of text clct executes — deliberately, it is the person's own
    # config — and even it is split into a program and its arguments (shlex), never given to a shell.
    config = tmp_path / "config.toml"
    config.write_text('setup_command = """python3 -c "open(\'made-by-setup\', \'w\')" ; touch injected $HOME"""\n')
    clct.create("with-setup", "-c", config)
    worktree = clct.worktree("with-setup")
    assert (worktree / "made-by-setup").exists()
    assert not (worktree / "injected").exists() and not list(tmp_path.rglob("injected"))


# -- config.toml holding a key ------------------------------------------------------------------------


def write_user_config(clct: Clct, text_: str, mode: int) -> Path:
    path = Path(clct.env["XDG_CONFIG_HOME"]) / "clct" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text_)
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_clct_warns_when_config_toml_with_a_key_is_readable_by_others(mode, clct: Clct):
    path = write_user_config(clct, 'claude_api_key = "sk-ant-api03-fromthefile"\n', mode)
    result = clct.ok("list")
    assert f"clct: warning: {path} holds an API key and is readable by others; run: chmod 600 {path}" in result.err


def test_no_warning_for_a_private_config_toml_or_one_without_a_key(clct: Clct):
    write_user_config(clct, 'claude_api_key = "sk-ant-api03-fromthefile"\n', 0o600)
    assert clct.ok("list").err == ""
    write_user_config(clct, 'bell = true\n', 0o644)
    assert clct.ok("list").err == ""


async def test_config_toml_written_by_the_app_is_0600_and_keeps_the_key_it_came_with(make_app, config):
    key = "sk-ant-api03-fromthefile"
    path = paths.config_file()  # in the test's own XDG_CONFIG_HOME
    path.parent.mkdir(parents=True)
    path.write_text(f'claude_api_key = "{key}"\ntheme = "clct-dark"\n')
    path.chmod(0o644)
    loaded = Config.load(database_url=config.database_url, worktree_base_path=config.worktree_base_path)
    app = make_app(cfg=loaded)
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        app.theme = "clct-light"  # the palette's theme switcher saves the choice at once
        await wait_for(pilot, lambda: 'theme = "clct-light"' in path.read_text(), what="config.toml saved")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = Config.load(path, env={})
    assert (saved.claude_api_key, saved.theme) == (key, "clct-light")


def test_settings_from_the_environment_never_land_in_config_toml():
    path = paths.config_file()
    path.parent.mkdir(parents=True)
    path.write_text('claude_api_key = "sk-ant-api03-fromthefile"\nmax_retries = 5\n')
    config = Config.load(env={"CLCT_MAX_RETRIES": "9", "CLCT_CLAUDE_API_KEY": "sk-ant-api03-fromtheenvironment",
                              "CLCT_BELL": "true"})
    assert (config.max_retries, config.claude_api_key, config.bell) == (9, "sk-ant-api03-fromtheenvironment", True)
    config.theme = "clct-light"
    config.save()
    saved = path.read_text()
    assert "fromtheenvironment" not in saved and "bell" not in saved
    assert Config.load(env={}).max_retries == 5 and Config.load(env={}).claude_api_key == "sk-ant-api03-fromthefile"


# -- default permissions: edits inside the worktree, anything else asks --------------------------------


def test_the_default_permission_mode_accepts_edits_and_nothing_more():
    assert Config().permission_mode == "acceptEdits"


OUTSIDE = {
    # case: (tool, input, where it would land) — built from the worktree and a folder outside it
    "absolute-path": lambda wt, out: ("Write", {"file_path": str(out / "abs.txt"), "content": "x"}, out / "abs.txt"),
    "climbing-path": lambda wt, out: ("Write", {"file_path": "../climbed.txt", "content": "x"},
                                      wt.parent / "climbed.txt"),
    "symlink-in-worktree": lambda wt, out: ("Write", {"file_path": "link/via-link.txt", "content": "x"},
                                            out / "via-link.txt"),
    "worktree-git-file": lambda wt, out: ("Write", {"file_path": ".git", "content": f"gitdir: {out}\n"},
                                          out / "never"),
    "bash-outside": lambda wt, out: ("Bash", {"command": f"touch {out}/bash.txt"}, out / "bash.txt"),
    "bash-climbing": lambda wt, out: ("Bash", {"command": "touch ../bash-climbed.txt"},
                                      wt.parent / "bash-climbed.txt"),
}


@pytest.mark.parametrize("case", OUTSIDE)
async def test_a_change_outside_the_worktree_asks_first_and_a_denial_leaves_it_undone(
    case, scripted_api, git_repo, config, tmp_path
):
    outside = tmp_path / "outside"
    outside.mkdir()
    async with Orchestrator(git_repo, config) as orch:
        instance = await orch.create_instance(worktree_name="fenced")
        worktree = instance.worktree.path
        (worktree / "link").symlink_to(outside)
        git_file = (worktree / ".git").read_text()
        tool, tool_input, target = OUTSIDE[case](worktree, outside)
        scripted_api.script(f"go {case}", [tool_use(tool, tool_input), text("tried")])
        asked = []

        def deny(event) -> None:
            if isinstance(event, ApprovalRequested):
                asked.append(event.request)
                orch.get_instance(event.agent_id).answer_approval(event.request.request_id, False, "stay inside")

        orch.subscribe(deny)
        result = await instance.run_task(f"go {case}")
    assert result["success"], result
    assert [r.tool for r in asked] == [tool]  # the CLI shows relative paths made absolute
    assert {k: v for k, v in asked[0].input.items() if k != "file_path"} == \
           {k: v for k, v in tool_input.items() if k != "file_path"}
    assert not target.exists() and list(outside.iterdir()) == []
    assert (worktree / ".git").read_text() == git_file


async def test_an_edit_outside_asks_even_after_the_file_was_read(scripted_api, git_repo, config, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("original\n")
    scripted_api.script("edit outside", [
        tool_use("Read", {"file_path": str(outside)}),
        tool_use("Edit", {"file_path": str(outside), "old_string": "original", "new_string": "changed"}),
        text("tried"),
    ])
    asked = []
    async with Orchestrator(git_repo, config) as orch:
        instance = await orch.create_instance(worktree_name="fenced")

        def answer(event) -> None:  # reading is allowed here; the edit is what must ask
            if isinstance(event, ApprovalRequested):
                asked.append(event.request.tool)
                instance.answer_approval(event.request.request_id, event.request.tool == "Read", "no edits there")

        orch.subscribe(answer)
        assert (await instance.run_task("edit outside"))["success"]
    assert asked == ["Read", "Edit"] and outside.read_text() == "original\n"


async def test_an_edit_inside_the_worktree_goes_ahead_without_asking(scripted_api, git_repo, config):
    scripted_api.script("write inside", [tool_use("Write", {"file_path": "src/inside.txt", "content": "in\n"}),
                                         text("written")])
    asked = []
    async with Orchestrator(git_repo, config) as orch:
        orch.subscribe(lambda e: asked.append(e) if isinstance(e, ApprovalRequested) else None)
        instance = await orch.create_instance(worktree_name="fenced")
        assert (await instance.run_task("write inside"))["success"]
        assert (instance.worktree.path / "src" / "inside.txt").read_text() == "in\n"
    assert asked == []


def test_run_task_headless_denies_a_write_outside_by_default(clct: Clct, scripted_api, tmp_path):
    target = tmp_path / "outside" / "headless.txt"
    target.parent.mkdir()
    scripted_api.script("write outside", [tool_use("Write", {"file_path": str(target), "content": "x"}),
                                          text("tried")])
    clct.create("headless")
    result = clct.ok("run-task", "headless", "write outside")
    assert "? Write asks for approval" in result.out and "denied: denied by --approve deny" in result.out
    assert not target.exists()
    assert os.listdir(target.parent) == []


def test_a_key_pasted_into_a_prompt_reaches_the_model_but_is_not_kept(clct: Clct, scripted_api):
    key = f"sk-ant-api03-CLCTSECRET-{uuid.uuid4().hex}"
    scripted_api.script("use this key", [text("Noted.")])
    clct.create("paster")
    ran = clct("run-task", "paster", f"use this key {key} for the deploy", env=clct.env | {"ANTHROPIC_API_KEY": key})
    assert ran.code == 0, str(ran)
    assert any(key in str(body) for body in scripted_api.requests)  # sent as typed
    assert clct.rows("select prompt from run") == [(f"use this key {MASK} for the deploy",)]
    assert clct.rows("select last_prompt from agent") == [(f"use this key {MASK} for the deploy",)]
    assert holding(files_under(clct.home, skip=clct.home / ".claude"), key) == []


async def test_the_approval_dialog_does_not_show_a_key_in_the_tool_input(scripted_api, make_app):
    key = os.environ["ANTHROPIC_API_KEY"]  # the scripted API's, given to the CLI
    command = f"curl -H 'x-api-key: {key}' https://example.invalid"
    scripted_api.script("call the api", [tool_use("Bash", {"command": command}), text("done")])
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await engine_ready(pilot)
        await start_agent(pilot, "call the api")
        agent = app.orchestrator.list_instances()[0]
        await wait_for(pilot, lambda: agent.pending_approvals, what="the approval request")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ApprovalScreen), what="the approval dialog")
        shown = screen_text(app)
        assert f"x-api-key: {MASK}" in shown and key not in shown
        await pilot.press("d", *"no", "enter")
