import re

from rest_framework import serializers

from crm.openapi import decimal_pattern


def test_a_decimal_field_without_digit_limits_gets_a_pattern():
    # DRF takes max_digits=None and decimal_places=None for "no limit"; the schema once
    # subtracted one from the other and failed with a TypeError.
    field = serializers.DecimalField(max_digits=None, decimal_places=None)
    pattern = re.compile(decimal_pattern(field))
    assert pattern.match("-123456789012345.5")
    assert pattern.match(".5")
    assert not pattern.match("1e5")
    assert not pattern.match("")


def test_a_decimal_field_with_limits_admits_only_its_digits():
    field = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0)
    pattern = re.compile(decimal_pattern(field))
    assert pattern.match("123.45")
    assert not pattern.match("1234.5")
    assert not pattern.match("-1.00")
