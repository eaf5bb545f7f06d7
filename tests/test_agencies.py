"""The agency table (bmaparse._agencies): the 50 district offices and the name of
an agency code."""

from __future__ import annotations

import pytest

from bmaparse._agencies import DISTRICTS, agency_name_for


def test_districts_table_has_the_50_district_offices() -> None:
    assert len(DISTRICTS) == 50
    assert sorted(DISTRICTS) == [f"50{n:02d}0000" for n in range(1, 51)]
    for name in DISTRICTS.values():
        assert name.startswith("สำนักงานเขต")
        assert "\u0e4d" not in name  # precomposed สำ (U+0E33), never ํ + า


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("50010000", "สำนักงานเขตพระนคร"),
        ("50080000", "สำนักงานเขตป้อมปราบศัตรูพ่าย"),
        ("50240000", "สำนักงานเขตราษฎร์บูรณะ"),
        ("50370000", "สำนักงานเขตราชเทวี"),
        ("50500000", "สำนักงานเขตบางบอน"),
        ("๕๐๒๔๐๐๐๐", "สำนักงานเขตราษฎร์บูรณะ"),
        (" 50240000 ", "สำนักงานเขตราษฎร์บูรณะ"),
        ("50241000", None),  # a unit code, not an agency code
        ("50510000", None),
        ("50000000", None),
        ("09000000", None),
        ("50240000-7108", None),
        ("", None),
    ],
)
def test_agency_name_for(code: str, expected: str | None) -> None:
    assert agency_name_for(code) == expected
