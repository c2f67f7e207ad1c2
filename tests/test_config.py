"""Config: defaults < config.toml < CLCT_* environment < arguments; bad values name key and source."""

import stat

import pytest

from clct_tui import paths
from clct_tui.config import Config
from clct_tui.errors import ConfigError


@pytest.fixture(autouse=True)
def xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for var in [v for v in __import__("os").environ if v.startswith("CLCT_")]:
        monkeypatch.delenv(var)
    return tmp_path


def write_config(text: str):
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_follow_the_original_library(xdg):
    config = Config.load(env={})
    assert (config.max_concurrent_instances, config.instance_timeout, config.max_retries) == (3, 300, 3)
    assert config.permission_mode == "acceptEdits" and config.claude_api_key is None and config.claude_model is None
    assert config.database_url == f"sqlite:///{xdg / 'data' / 'clct' / 'history.db'}"
    assert config.worktree_base_path == xdg / "data" / "clct" / "worktrees"


def test_the_file_beats_the_defaults():
    write_config("max_concurrent_instances = 5\n")
    assert Config.load(env={}).max_concurrent_instances == 5


def test_the_environment_beats_the_file():
    write_config("max_concurrent_instances = 5\n")
    assert Config.load(env={"CLCT_MAX_CONCURRENT_INSTANCES": "7"}).max_concurrent_instances == 7


def test_arguments_beat_the_environment_and_none_arguments_are_ignored():
    env = {"CLCT_MAX_CONCURRENT_INSTANCES": "7", "CLCT_CLAUDE_MODEL": "env-model"}
    config = Config.load(env=env, max_concurrent_instances=9, claude_model=None)
    assert config.max_concurrent_instances == 9 and config.claude_model == "env-model"


@pytest.mark.parametrize(
    "var, raw, expected",
    [("CLCT_INSTANCE_TIMEOUT", "12.5", 12.5), ("CLCT_BELL", "yes", True), ("CLCT_BELL", "0", False),
     ("CLCT_PERMISSION_MODE", "default", "default")],
)
def test_environment_values_are_parsed_to_the_settings_type(var, raw, expected):
    name = var.removeprefix("CLCT_").lower()
    assert getattr(Config.load(env={var: raw}), name) == expected


def test_a_non_number_in_the_environment_names_the_variable():
    with pytest.raises(ConfigError, match="max_concurrent_instances.*environment CLCT_MAX_CONCURRENT_INSTANCES.*'abc'"):
        Config.load(env={"CLCT_MAX_CONCURRENT_INSTANCES": "abc"})


def test_a_negative_timeout_is_refused():
    with pytest.raises(ConfigError, match="instance_timeout.*arguments.*more than 0"):
        Config(instance_timeout=-1)


def test_an_unknown_permission_mode_is_refused_naming_the_file():
    path = write_config('permission_mode = "yolo"\n')
    with pytest.raises(ConfigError, match=f"permission_mode.*{path}.*unknown permission mode 'yolo'"):
        Config.load(env={})


def test_malformed_toml_names_the_file():
    path = write_config("max_concurrent_instances = = 3\n")
    with pytest.raises(ConfigError, match=f"{path}.*not valid TOML"):
        Config.load(env={})


def test_a_wrong_type_in_the_file_is_refused():
    write_config('max_retries = "three"\n')
    with pytest.raises(ConfigError, match="max_retries.*whole number"):
        Config.load(env={})


def test_an_explicit_config_file_that_is_missing_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        Config.load(tmp_path / "nope.toml", env={})


def test_an_unknown_key_warns_and_goes_on():
    write_config("colour = 'red'\nmax_retries = 1\n")
    config = Config.load(env={})
    assert config.max_retries == 1 and any("'colour'" in w for w in config.warnings)


def test_save_writes_mode_0600_and_loads_back():
    config = Config.load(env={}, max_concurrent_instances=4, theme="clct-light")
    path = config.save()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = Config.load(env={})
    assert again.max_concurrent_instances == 4 and again.theme == "clct-light"


def test_save_never_writes_a_key_from_the_environment():
    path = Config.load(env={"CLCT_CLAUDE_API_KEY": "sk-secret"}).save()
    assert "sk-secret" not in path.read_text()


def test_save_keeps_a_key_that_came_from_the_file():
    path = write_config('claude_api_key = "sk-file"\n')
    path.chmod(0o600)
    Config.load(env={}).save()
    assert "sk-file" in path.read_text()


def test_a_config_loaded_from_a_given_file_is_saved_back_to_that_file(tmp_path):
    given = tmp_path / "project.toml"
    given.write_text("max_retries = 5\n")
    Config.load(given, env={}).with_overrides(theme="clct-light").save()
    assert "theme" in given.read_text() and "max_retries = 5" in given.read_text()
    assert not paths.config_file().exists()


def test_a_key_in_a_file_readable_by_others_is_warned_about():
    path = write_config('claude_api_key = "sk-file"\n')
    path.chmod(0o644)
    assert any("readable by others" in w for w in Config.load(env={}).warnings)


def test_repr_hides_the_api_key():
    assert "sk-hidden" not in repr(Config(claude_api_key="sk-hidden"))


def test_worktrees_get_one_folder_per_repository(tmp_path):
    config = Config(worktree_base_path=tmp_path / "wt")
    a, b = config.worktree_folder(tmp_path / "x" / "app"), config.worktree_folder(tmp_path / "y" / "app")
    assert a.parent == b.parent == tmp_path / "wt" and a != b and a.name.startswith("app-")
