"""What a process keeps (feedback_app.kept): bounded, and the respondent's reads never reorder it."""

from feedback_app.kept import KeptPerProcess


def test_kept_values_stay_within_the_bound_and_the_oldest_goes_first():
    kept = KeptPerProcess(size=2)
    kept.put("link-a", 1)
    kept.put("link-b", 2)
    assert kept.get("link-a") == 1  # a plain read (the post's) does not make "link-a" newer
    kept.put("link-c", 3)
    assert (kept.get("link-a"), kept.get("link-b"), kept.get("link-c")) == (None, 2, 3)
    assert len(kept) == 2


def test_a_dropped_value_is_read_again_and_clear_forgets_everything():
    kept = KeptPerProcess(size=4)
    kept.put("version", "questions")
    kept.drop("version")
    kept.drop("never kept")  # no error
    assert kept.get("version") is None
    assert kept.get_or_compute("version", lambda: "read again") == "read again"
    kept.clear()
    assert len(kept) == 0
