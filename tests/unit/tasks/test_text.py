"""Joining a user's requests: the sentence after "Also," reads as one sentence."""

import pytest

from generator.tasks.text import lowered


@pytest.mark.parametrize(
    ("sentence", "joined"),
    [
        ("Please cancel my order.", "please cancel my order."),
        ("Could you book me in?", "could you book me in?"),
        ("My card expired.", "my card expired."),
        ("I'd like a refund.", "I'd like a refund."),
        ("I moved to WA.", "I moved to WA."),
        ("Dr. Sean Robinson has finished seeing me.", "Dr. Sean Robinson has finished seeing me."),
        ("Sean Robinson asked me to call.", "Sean Robinson asked me to call."),
        ("Ms. Lee needs the form.", "Ms. Lee needs the form."),
    ],
)
def test_a_following_request_keeps_capitals_only_where_a_person_writes_them(sentence, joined):
    assert lowered(sentence) == joined
