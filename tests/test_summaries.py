"""Tool calls read as one line: the tool, what it acts on, and how many lines it changes."""

from clct_tui.summaries import tool_summary


def test_a_write_names_the_file_and_counts_its_lines():
    assert tool_summary("Write", {"file_path": "src/a.py", "content": "a\nb\nc\n"}) == "Write  src/a.py  (+3)"


def test_an_edit_counts_added_and_removed_lines():
    assert tool_summary("Edit", {"file_path": "x.py", "old_string": "a\nb", "new_string": "c"}) == "Edit  x.py  (+1 −2)"


def test_a_bash_call_shows_the_first_line_of_its_command():
    assert tool_summary("Bash", {"command": "npm test\necho done"}) == "Bash  npm test"


def test_a_long_target_is_cut_with_an_ellipsis():
    summary = tool_summary("Grep", {"pattern": "x" * 200})
    assert summary.endswith("…") and len(summary) < 100


def test_a_tool_without_a_known_target_is_just_its_name():
    assert tool_summary("TodoWrite", {"todos": []}) == "TodoWrite"
