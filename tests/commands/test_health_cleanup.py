"""health reports each check and exits 1 when one fails; cleanup never deletes unmerged work."""

from __future__ import annotations

import shutil

from tests.commands.conftest import commit_file, git


def test_health_passes_with_an_api_key_and_fails_without_one(clct):
    healthy = clct.ok("health")
    checks = {line.split()[1]: line.split()[0] for line in healthy.out.splitlines()[:-1]}
    assert checks == {"cli": "ok", "credentials": "ok", "repository": "ok", "database": "ok", "worktree": "ok",
                      "disk": "ok"}
    assert healthy.out.splitlines()[-1] == "healthy"

    env = {k: v for k, v in clct.env.items() if k != "ANTHROPIC_API_KEY"}
    report = clct("health", "--json", env=env)
    assert report.code == 1, str(report)
    data = report.json()
    assert data["healthy"] is False and data["checks"]["credentials"]["ok"] is False
    assert "ANTHROPIC_API_KEY" in data["checks"]["credentials"]["detail"]
    assert all(data["checks"][name]["ok"] for name in ("cli", "repository", "database", "worktree_folder"))
    assert "(Claude Code)" in data["checks"]["cli"]["detail"]


def test_cleanup_dry_run_keeps_unmerged_work_and_says_why_then_cleanup_removes_only_empty_work(clct):
    created = clct.each(*(["create", "-n", name] for name in ("empty", "committed", "dirty")))
    assert [r.code for r in created] == [0, 0, 0], "\n".join(map(str, created))
    commit_file(clct.worktree("committed"), "feature.txt")
    (clct.worktree("dirty") / "notes.txt").write_text("not committed")

    recent, dry = clct.each(["cleanup", "--dry-run"], ["cleanup", "--dry-run", "--max-age-hours", "0"])
    assert sorted(recent.out.splitlines()) == [  # by default only worktrees idle for 24 h are considered
        f"kept          {n}: active within the last 24 h" for n in ("committed", "dirty", "empty")]
    assert sorted(dry.out.splitlines()) == [
        "kept          committed: 1 commit(s) not merged into main",
        "kept          dirty: 1 uncommitted change(s)",
        "would remove  empty",
    ]
    assert clct.worktree("empty").is_dir()

    report = clct.ok("cleanup", "--max-age-hours", "0", "--json").json()
    assert report["removed"] == ["empty"] and report["dry_run"] is False
    assert {k["name"] for k in report["kept"]} == {"committed", "dirty"}
    assert not clct.worktree("empty").exists()
    assert (clct.worktree("committed") / "feature.txt").is_file()
    assert (clct.worktree("dirty") / "notes.txt").is_file()
    assert clct.rows("select name from worktree where removed_at is null order by name") == [
        ("committed",), ("dirty",)]
    assert "committed" in git(clct.repo, "branch", "--list", "committed")


def test_cleanup_prunes_worktree_records_whose_folders_were_deleted_by_hand(clct):
    clct.create("gone")
    shutil.rmtree(clct.worktree("gone"))
    out = clct.ok("cleanup", "--max-age-hours", "0").out
    assert "pruned        stale git worktree record gone" in out
    assert "gone" not in git(clct.repo, "worktree", "list")
    negative = clct("cleanup", "--max-age-hours", "-1")
    assert negative.code == 2 and "--max-age-hours must not be negative" in negative.err
