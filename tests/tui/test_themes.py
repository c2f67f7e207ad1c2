"""Themes are TOML files: the bundled three, and the user's own beside them."""

from clct_tui.tui.themes import bundled_themes_dir, load_themes


def test_the_bundled_themes_are_dark_light_and_high_contrast():
    names = {t.name for t in load_themes(bundled_themes_dir()).themes}
    assert {"clct-dark", "clct-light", "clct-high-contrast"} <= names


def test_a_user_theme_is_loaded_and_overrides_by_name(tmp_path):
    (tmp_path / "mine.toml").write_text('name = "clct-dark"\nprimary = "#ff0000"\n')
    themes = {t.name: t for t in load_themes(bundled_themes_dir(), tmp_path).themes}
    assert themes["clct-dark"].primary == "#ff0000"


def test_a_broken_theme_is_reported_and_the_rest_still_load(tmp_path):
    (tmp_path / "bad.toml").write_text("primary = [")
    (tmp_path / "nokey.toml").write_text('name = "x"\n')
    loaded = load_themes(bundled_themes_dir(), tmp_path)
    assert len(loaded.problems) == 2 and any("bad.toml" in p for p in loaded.problems)
    assert "clct-dark" in {t.name for t in loaded.themes}
