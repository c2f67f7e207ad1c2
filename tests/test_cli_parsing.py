"""`clct` tells an app path from a subcommand, and bad usage exits 2 without a traceback."""

from clct_tui.cli import main, split_app_path


def test_a_path_opens_the_app_on_it():
    assert split_app_path(["../repo"]) == ([], "../repo")


def test_a_subcommand_is_not_mistaken_for_a_path():
    assert split_app_path(["-r", "x", "list"]) == (["-r", "x", "list"], None)


def test_option_values_are_not_mistaken_for_a_path():
    assert split_app_path(["-c", "my.toml"]) == (["-c", "my.toml"], None)


def test_an_unknown_option_is_bad_usage(capsys):
    assert main(["list", "--frobnicate"]) == 2
    assert "unrecognized arguments: --frobnicate" in capsys.readouterr().err


def test_help_lists_every_command(capsys):
    try:
        main(["--help"])
    except SystemExit as exit:
        assert exit.code == 0
    out = capsys.readouterr().out
    for command in ("create", "list", "run-task", "parallel", "health", "cleanup", "history", "show"):
        assert command in out
