"""run-task streams the transcript and ends with a result line; history and show read it back."""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time

from clct_tui.testing.scripted_api import status, text, tool_use, user_texts

MAKE_X = {"command": "python3 -c \"open('x','w')\""}  # not auto-allowed in acceptEdits: it asks


def first_prompt(request: dict) -> str:
    return "\n".join(user_texts(next(m for m in request["messages"] if m["role"] == "user")))


def test_run_task_streams_as_it_arrives_other_processes_see_it_busy_and_ctrl_c_keeps_the_run(clct, scripted_api):
    story = "Once upon a time, " * 40
    scripted_api.script("tell a slow story", [text(story, chunk_size=9, delay=0.12)])  # ten seconds of words
    agent_id = clct.create("teller")
    proc = subprocess.Popen(clct.argv("run-task", agent_id, "tell a slow story"), cwd=clct.repo, env=clct.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    chunks: list[tuple[float, bytes]] = []
    words_seen = threading.Event()

    def read() -> None:
        while data := proc.stdout.read1(4096):
            chunks.append((time.monotonic(), data))
            if b"Once upon a time, Once upon a time," in b"".join(c for _, c in chunks):
                words_seen.set()

    reader = threading.Thread(target=read)
    reader.start()
    assert words_seen.wait(30), "no words streamed"
    # Meanwhile, in other processes: the agent shows as running and cannot be given more work
    # (`clct stop` can stop it there: tests/reliability/test_two_processes.py).
    listed, again = clct.each(["list", "--json"], ["run-task", "teller", "more"])
    streamed_so_far = len(b"".join(c for _, c in chunks))
    proc.send_signal(signal.SIGINT)  # Ctrl-C: the run ends as interrupted, and is kept
    proc.wait(timeout=30)
    reader.join()
    out = b"".join(c for _, c in chunks).decode()
    err = proc.stderr.read().decode()
    assert proc.returncode == 1 and "Traceback" not in err, (out, err)
    assert streamed_so_far > len("> tell a slow story\nOnce upon"), "words came only at the end"
    lines = out.splitlines()
    assert lines[0] == "> tell a slow story"
    assert lines[1].startswith("Once upon a time, Once upon a time,") and len(lines[1]) < len(story)
    assert lines[-1].startswith("result: failed: interrupted · $") and lines[-1].endswith(" · run 1")
    assert "interrupting the agent" in err

    assert listed.json()[0]["state"] == "running", str(listed)
    assert again.code == 2 and "agent teller is running in another clct process" in again.err, str(again)
    assert clct.rows("select prompt, state, error from run") == [("tell a slow story", "interrupted", "interrupted")]
    (state, session_id), = clct.rows("select state, session_id from agent")
    assert state == "interrupted" and session_id  # the conversation can be resumed
    streamed = "".join(t for (t,) in clct.rows("select text from event where kind = 'text' order by seq"))
    assert streamed.startswith("Once upon a time,") and lines[1].startswith(streamed.rstrip()[:40])


def test_run_task_shows_tool_calls_in_one_line_and_changes_files_in_the_worktree(clct, scripted_api):
    scripted_api.script("write hello", [tool_use("Write", {"file_path": "hello.txt", "content": "hi\nthere\n"},
                                                 say="Writing it."), text("Done.")])
    clct.create("writer")
    result = clct.ok("run-task", "writer", "write hello")
    assert result.out.splitlines()[:4] == ["> write hello", "Writing it.", "▸ Write  hello.txt  (+2)", "Done."]
    assert (clct.worktree("writer") / "hello.txt").read_text() == "hi\nthere\n"
    assert not (clct.repo / "hello.txt").exists()
    (state, success, prompt, result_text), = clct.rows("select state, success, prompt, result_text from run")
    assert (state, success, prompt, result_text) == ("done", 1, "write hello", "Done.")
    assert clct.rows("select state from agent") == [("done",)]
    assert clct.ok("list", "--json").json()[0]["changed_files"] == 1


def test_the_model_given_to_create_is_the_one_sent_to_the_api(clct, scripted_api):
    scripted_api.script("which model", [text("this one")])
    clct.create("picky", "--model", "claude-test-model")
    result = clct.ok("run-task", "picky", "which model", "--json").json()
    assert result["success"] and result["output"] == "this one" and result["run_id"] == 1
    assert {r["model"] for r in scripted_api.requests} == {"claude-test-model"}


def test_approve_auto_lets_a_bash_call_run_and_deny_refuses_it(clct, scripted_api):
    scripted_api.script("make x now", [tool_use("Bash", MAKE_X), text("made it")])
    scripted_api.script("try to make x", [tool_use("Bash", MAKE_X), text("could not")])
    clct.create("yes")
    clct.create("no")

    # Two agents, two processes at once; deny is the default: nobody is there to ask.
    allowed, denied = clct.each(["run-task", "yes", "make x now", "--approve", "auto"],
                                ["run-task", "no", "try to make x"])
    assert allowed.code == 0 and denied.code == 0, f"{allowed}\n{denied}"
    assert "▸ Bash  python3 -c \"open('x','w')\"\n? Bash asks for approval\n  approved\n" in allowed.out
    assert (clct.worktree("yes") / "x").exists()

    assert "? Bash asks for approval\n  denied: denied by --approve deny\n" in denied.out
    assert not (clct.worktree("no") / "x").exists()
    answers = clct.rows("select a.name, e.data from event e join run r on e.run_id = r.id "
                        "join agent a on r.agent_id = a.id where e.kind = 'approval_answered'")
    assert sorted((name, json.loads(data)["allow"]) for name, data in answers) == [("no", False), ("yes", True)]


def test_context_is_sent_with_the_task_and_bad_json_is_refused_before_anything_runs(clct, scripted_api):
    scripted_api.script("fix the ticket", [text("fixed")])
    clct.create("ctx")
    bad = clct("run-task", "ctx", "fix the ticket", "--context", "{ticket: ABC-1}")
    assert bad.code == 2 and bad.err.startswith("clct run-task: --context is not valid JSON")
    not_object = clct("run-task", "ctx", "fix the ticket", "--context", '["ABC-1"]')
    assert not_object.code == 2 and "--context must be a JSON object" in not_object.err
    assert clct.rows("select count(*) from run") == [(0,)] and scripted_api.requests == []

    clct.ok("run-task", "ctx", "fix the ticket", "--context", '{"ticket": "ABC-1", "priority": 2}')
    sent = first_prompt(scripted_api.requests[0])
    assert "fix the ticket" in sent and '"ticket": "ABC-1"' in sent and '"priority": 2' in sent
    (prompt,), = clct.rows("select prompt from run")
    assert '"ticket": "ABC-1"' in prompt


def test_a_failed_run_exits_1_with_the_reason_and_is_stored(clct, scripted_api):
    scripted_api.script("break please", [status(400, times=10)])
    clct.create("fragile")
    result = clct("run-task", "fragile", "break please")
    assert result.code == 1, str(result)
    assert result.out.splitlines()[-1].startswith("result: failed: ")
    (state, success, error), = clct.rows("select state, success, error from run")
    assert (state, success) == ("failed", 0) and error


def test_history_and_show_read_runs_back_in_a_new_process(clct, scripted_api):
    scripted_api.script("first job", [tool_use("Write", {"file_path": "one.txt", "content": "1\n"}), text("one done")])
    scripted_api.script("second job", [text("two done")])
    agent_id = clct.create("worker")
    clct.ok("run-task", "worker", "first job")
    clct.ok("run-task", "worker", "second job")

    history, latest, found, shown, as_json = clct.each(
        ["history"], ["history", "--json", "--limit", "1"], ["history", "--json", "--search", "first"],
        ["show", "1"], ["show", "1", "--json"])
    table = history.out.splitlines()
    assert table[0].split() == ["RUN", "AGENT", "STATE", "COST", "STARTED", "PROMPT"]
    assert [line.split()[:3] for line in table[1:]] == [["2", "worker", "done"], ["1", "worker", "done"]]
    assert table[1].endswith("second job") and table[2].endswith("first job")
    assert [(r["id"], r["agent_id"], r["agent_name"], r["prompt"], r["success"]) for r in latest.json()] == [
        (2, agent_id, "worker", "second job", True)]
    assert [r["id"] for r in found.json()] == [1]

    lines = shown.out.splitlines()
    assert lines[0].startswith("run 1 · agent worker · task · done")
    assert lines[1:4] == ["> first job", "▸ Write  one.txt  (+1)", "one done"]
    assert lines[-1].startswith("result: success · $")
    data = as_json.json()
    assert data["run"]["prompt"] == "first job" and data["run"]["result_text"] == "one done"
    kinds = [e["kind"] for e in data["events"]]
    assert kinds[0] == "prompt" and "tool_use" in kinds and "tool_result" in kinds and kinds[-1] == "result"

    bad_limit = clct("history", "--limit", "0")
    assert bad_limit.code == 2 and "--limit must be at least 1" in bad_limit.err
