from decimal import Decimal

import pytest
from django.db.models import F, IntegerField
from django.db.models.expressions import ExpressionWrapper

from crm.conditions import _decimal_places, _lookup


def test_an_unknown_lookup_is_named_in_the_error():
    # Django's get_lookup answers None for a name it does not know; calling that failed with
    # "'NoneType' object is not callable", which said nothing about the lookup.
    number = ExpressionWrapper(F("score"), output_field=IntegerField())
    with pytest.raises(ValueError, match="no lookup 'icontainz'"):
        _lookup(number, "icontainz", 1)


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_decimal_places_of_a_number_that_is_not_finite_is_refused(value):
    with pytest.raises(ValueError, match="not a finite number"):
        _decimal_places(Decimal(value))


def test_decimal_places_count_digits_after_the_point():
    assert _decimal_places(Decimal("1.50")) == 1
    assert _decimal_places(Decimal("100")) == 0
    assert _decimal_places(Decimal("1e-20")) == 20
