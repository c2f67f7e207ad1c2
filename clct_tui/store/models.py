"""Peewee models: the domain as stored (see DESIGN.md).

Each open store builds its own set of model classes bound to its own database,
so two stores in one process (two orchestrators, a test that reopens a file
while another is open) never read or write through each other's connection.
A module-level ``DatabaseProxy`` would silently rebind every store to the last
database opened.
"""

from __future__ import annotations

import json
import time
from typing import Any

import peewee as pw


class JSONField(pw.TextField):
    def db_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value)

    def python_value(self, value: str | None) -> Any:
        return None if value is None else json.loads(value)


class Models:
    """The model classes of one database. Attribute names are the table names in CamelCase."""

    def __init__(self, db: pw.Database) -> None:
        class Base(pw.Model):
            class Meta:
                database = db
                legacy_table_names = False

        class Meta(Base):
            key = pw.CharField(primary_key=True)
            value = pw.TextField()

        class Repo(Base):
            path = pw.TextField(unique=True)
            default_branch = pw.TextField(null=True)
            created_at = pw.FloatField(default=time.time)

        class Worktree(Base):
            # (repo, name) is unique only among worktrees not removed: enforced by Store.add_worktree.
            repo = pw.ForeignKeyField(Repo, backref="worktrees", on_delete="CASCADE", index=True)
            name = pw.TextField()
            path = pw.TextField()
            branch = pw.TextField()
            base = pw.TextField(null=True)
            created_at = pw.FloatField(default=time.time)
            removed_at = pw.FloatField(null=True)

        class Agent(Base):
            id = pw.CharField(primary_key=True, max_length=32)
            repo = pw.ForeignKeyField(Repo, backref="agents", on_delete="CASCADE", index=True)
            worktree = pw.ForeignKeyField(Worktree, null=True, backref="agents", on_delete="SET NULL")
            name = pw.TextField()
            model = pw.TextField(null=True)
            permission_mode = pw.TextField(default="acceptEdits")
            session_id = pw.TextField(null=True)  # the SDK conversation id, for resume
            state = pw.TextField(default="idle")
            cost_usd = pw.FloatField(default=0.0)
            input_tokens = pw.IntegerField(default=0)
            output_tokens = pw.IntegerField(default=0)
            last_prompt = pw.TextField(null=True)
            created_at = pw.FloatField(default=time.time)
            updated_at = pw.FloatField(default=time.time)
            # The clct process that holds the agent from the moment it is given a prompt until that
            # run ends (queued ones included), so no other process runs it in the same worktree.
            pid = pw.IntegerField(null=True)
            # When another clct process asked that holder to stop the agent (`clct stop`); cleared on release.
            stop_requested = pw.FloatField(null=True)

        class Run(Base):
            agent = pw.ForeignKeyField(Agent, backref="runs", on_delete="CASCADE", index=True)
            prompt = pw.TextField()
            kind = pw.TextField(default="task")
            state = pw.TextField(default="running")
            started_at = pw.FloatField(default=time.time, index=True)
            ended_at = pw.FloatField(null=True)
            result_text = pw.TextField(null=True)
            error = pw.TextField(null=True)
            success = pw.BooleanField(null=True)
            cost_usd = pw.FloatField(default=0.0)
            num_turns = pw.IntegerField(default=0)
            duration_ms = pw.IntegerField(default=0)
            session_id = pw.TextField(null=True)
            # The clct process that ran it, so recover() tells orphans from another process's live runs.
            pid = pw.IntegerField(null=True)

        class Event(Base):
            # No index on run alone: the (run, seq) index serves every lookup by run.
            run = pw.ForeignKeyField(Run, backref="events", on_delete="CASCADE", index=False)
            seq = pw.IntegerField()
            kind = pw.TextField()
            text = pw.TextField(default="")
            data = JSONField(null=True)
            ts = pw.FloatField()

            class Meta:
                indexes = ((("run", "seq"), True),)

        class Session(Base):
            id = pw.CharField(primary_key=True, max_length=32)
            repo = pw.ForeignKeyField(Repo, backref="sessions", on_delete="CASCADE", index=True)
            name = pw.TextField()
            description = pw.TextField(null=True)
            status = pw.TextField(default="pending")
            max_budget_usd = pw.FloatField(null=True)
            created_at = pw.FloatField(default=time.time)
            updated_at = pw.FloatField(default=time.time)

        class Task(Base):
            session = pw.ForeignKeyField(Session, backref="tasks", on_delete="CASCADE", index=True)
            name = pw.TextField()
            description = pw.TextField()
            priority = pw.IntegerField(default=0)
            depends_on = JSONField(default=list)
            context = JSONField(default=dict)
            branch = pw.TextField(null=True)
            base = pw.TextField(null=True)
            model = pw.TextField(null=True)
            max_budget_usd = pw.FloatField(null=True)
            max_turns = pw.IntegerField(null=True)
            status = pw.TextField(default="pending")
            agent = pw.ForeignKeyField(Agent, null=True, backref="tasks", on_delete="SET NULL")
            output = pw.TextField(null=True)
            error = pw.TextField(null=True)
            cost_usd = pw.FloatField(default=0.0)
            started_at = pw.FloatField(null=True)
            ended_at = pw.FloatField(null=True)

            class Meta:
                indexes = ((("session", "name"), True),)

        self.db = db
        self.Meta = Meta
        self.Repo = Repo
        self.Worktree = Worktree
        self.Agent = Agent
        self.Run = Run
        self.Event = Event
        self.Session = Session
        self.Task = Task
        # Creation order: every table after the ones it references.
        self.all: list[type[pw.Model]] = [Meta, Repo, Worktree, Agent, Run, Event, Session, Task]
