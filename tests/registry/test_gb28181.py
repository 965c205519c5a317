import pytest

from registry.gb28181 import InvalidDeviceCode, parse_device_code, validate_district_code
from registry.rows import RowInvalid, resolve_camera_district


def test_decodes_every_field_of_a_camera_code() -> None:
    code = parse_device_code("15040201001321000042")
    assert code.district == "15040201"
    assert code.industry == "00"
    assert code.device_type == "132"
    assert code.device_type_name == "IP camera"
    assert code.network == "1"
    assert code.serial == "000042"
    assert code.is_camera


def test_nvr_is_decoded_but_is_no_camera() -> None:
    code = parse_device_code("15040201001181000001")
    assert code.device_type_name == "NVR"
    assert not code.is_camera


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("1504020100132100004", "exactly 20 digits"),
        ("15040201001321000042x", "exactly 20 digits"),
        ("1504020100132100004a", "exactly 20 digits"),
        ("99040201001321000042", "no GB/T 2260 province"),
        ("15040201009991000042", "no known device type"),
        ("15000201001321000042", "county digits set without a city"),
    ],
)
def test_rejects_invalid_codes_with_the_reason(code: str, reason: str) -> None:
    with pytest.raises(InvalidDeviceCode, match=reason):
        parse_device_code(code)


def test_district_candidates_run_from_specific_to_province() -> None:
    code = parse_device_code("15040201001321000042")
    assert code.district_candidates() == ("15040201", "150402", "150400", "150000")


def test_missing_district_is_derived_from_the_code() -> None:
    known = {"150000", "150400", "150402", "150402001"}
    assert resolve_camera_district("15040201001321000042", None, known) == ("150402", "132")


def test_derivation_prefers_the_8_digit_unit_when_registered() -> None:
    known = {"150402", "15040201"}
    assert resolve_camera_district("15040201001321000042", None, known)[0] == "15040201"


def test_given_district_wins_over_the_code() -> None:
    known = {"150402", "150402001001"}
    assert (
        resolve_camera_district("15040201001321000042", "150402001001", known)[0] == "150402001001"
    )


def test_no_matching_district_says_which_codes_were_tried() -> None:
    with pytest.raises(RowInvalid, match="15040201, 150402, 150400, 150000"):
        resolve_camera_district("15040201001321000042", None, {"110000"})


def test_free_form_id_needs_a_district() -> None:
    with pytest.raises(RowInvalid, match="district_code' is required"):
        resolve_camera_district("gate-7", None, {"150402"})
    assert resolve_camera_district("gate-7", "150402", {"150402"}) == ("150402", None)


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("150402", True),
        ("150402001", True),
        ("150402001001", True),
        ("1504", False),
        ("15a402", False),
        ("990000", False),
    ],
)
def test_district_code_validation(code: str, ok: bool) -> None:
    assert (validate_district_code(code) is None) == ok
