"""Numbers a scenario draws in place of a param's example."""

import random

from hypothesis import given
from hypothesis import strategies as st

from generator.tasks.values import near


@given(st.integers(0, 10_000), st.one_of(st.none(), st.integers(0, 50)), st.integers(0, 2**32))
def test_a_drawn_whole_number_is_whole_and_at_least_the_minimum(example, minimum, seed):
    value = near(example, minimum, True, random.Random(seed))
    assert isinstance(value, int) and (minimum is None or value >= minimum) and value >= 0


def test_drawn_numbers_vary_around_the_example():
    rng = random.Random(0)
    amounts = {near(100, 1, True, rng) for _ in range(50)}
    bags = {near(1, 1, True, rng) for _ in range(50)}
    prices = {near(49.99, 0.01, False, rng) for _ in range(50)}
    assert len(amounts) >= 4 and min(amounts) >= 25 and max(amounts) <= 200
    assert bags == {1, 2, 3}
    assert len(prices) >= 4 and all(round(p, 2) == p for p in prices)
