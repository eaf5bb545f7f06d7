"""Agency codes -> agency names.

Strategy: a fixed table, no I/O. The BMA codes the 50 district offices
``50XX0000`` where ``XX`` is the district's Bangkok geocode (the ``10XX``
numbering of the Department of Provincial Administration: 01 พระนคร ...
50 บางบอน). The seed export confirms it: unit code 50241000 belongs to
สำนักงานเขตราษฎร์บูรณะ (geocode 1024). Only district offices are listed;
central departments are left to the text of the report. Names use the
precomposed sara am (U+0E33), the form the normaliser produces.
"""

from __future__ import annotations

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")

_DISTRICT_NAMES = (
    "พระนคร",  # 01
    "ดุสิต",
    "หนองจอก",
    "บางรัก",
    "บางเขน",  # 05
    "บางกะปิ",
    "ปทุมวัน",
    "ป้อมปราบศัตรูพ่าย",
    "พระโขนง",
    "มีนบุรี",  # 10
    "ลาดกระบัง",
    "ยานนาวา",
    "สัมพันธวงศ์",
    "พญาไท",
    "ธนบุรี",  # 15
    "บางกอกใหญ่",
    "ห้วยขวาง",
    "คลองสาน",
    "ตลิ่งชัน",
    "บางกอกน้อย",  # 20
    "บางขุนเทียน",
    "ภาษีเจริญ",
    "หนองแขม",
    "ราษฎร์บูรณะ",
    "บางพลัด",  # 25
    "ดินแดง",
    "บึงกุ่ม",
    "สาทร",
    "บางซื่อ",
    "จตุจักร",  # 30
    "บางคอแหลม",
    "ประเวศ",
    "คลองเตย",
    "สวนหลวง",
    "จอมทอง",  # 35
    "ดอนเมือง",
    "ราชเทวี",
    "ลาดพร้าว",
    "วัฒนา",
    "บางแค",  # 40
    "หลักสี่",
    "สายไหม",
    "คันนายาว",
    "สะพานสูง",
    "วังทองหลาง",  # 45
    "คลองสามวา",
    "บางนา",
    "ทวีวัฒนา",
    "ทุ่งครุ",
    "บางบอน",  # 50
)

DISTRICTS: dict[str, str] = {
    f"50{geocode:02d}0000": "สำนักงานเขต" + name
    for geocode, name in enumerate(_DISTRICT_NAMES, start=1)
}
"""8-digit agency code of each district office -> its name (``สำนักงานเขต...``)."""


def agency_name_for(code: str) -> str | None:
    """The agency name for an 8-digit agency code; None when it is not a district office.

    Surrounding whitespace is ignored and Thai digits are read as digits; anything
    else (a unit code such as ``50241000``, a project id) is not an agency code and
    gives None.
    """
    if not isinstance(code, str):
        return None
    return DISTRICTS.get(code.strip().translate(_THAI_DIGITS))
