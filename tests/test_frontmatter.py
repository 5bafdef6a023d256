import pytest

from dossier.frontmatter import FrontMatterError, split


def test_values_keep_their_file_lines():
    parsed = split("---\ntitle: T\nactors:\n  - A\n  - B\nevents:\n  - date: 2022-07-13\n"
                   "    title: X\n---\nBody\n")
    assert parsed.line("title") == 2
    assert parsed.line("actors", 1) == 5
    assert parsed.line("events", 0, "title") == 8
    assert parsed.body == "Body\n" and parsed.body_line == 10


def test_dates_stay_text_so_impossible_ones_are_reported_by_field():
    assert split("---\ndate: 2022-02-30\n---\n").data["date"] == "2022-02-30"


def test_only_true_and_false_are_booleans():
    data = split("---\ncountry: NO\ndraft: true\nflag: yes\n---\n").data
    assert data == {"country": "NO", "draft": True, "flag": "yes"}


def test_yaml_aliases_are_refused_so_expansion_cannot_blow_up():
    bomb = "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a]\n---\n"
    with pytest.raises(FrontMatterError) as info:
        split(bomb)
    assert info.value.line == 3 and "alias" in info.value.message


@pytest.mark.parametrize("text, line, words", [
    ("title: x\n", 1, "must start with a line '---'"),
    ("---\ntitle: x\n", 1, "not closed"),
    ("---\ntitle: x\ntags: [a, b\ndate: 2022-01-01\n---\n", 3, "invalid YAML"),
    ("---\n- a\n- b\n---\n", 2, "mapping"),
])
def test_malformed_front_matter_names_its_line(text, line, words):
    with pytest.raises(FrontMatterError) as info:
        split(text)
    assert info.value.line == line and words in info.value.message
