"""Workbooks are safe to open and never fail on what people type."""

from io import BytesIO

from openpyxl import load_workbook

from layers.common.excel import write_workbook


def test_control_characters_and_formulas_are_written_as_plain_text():
    out = BytesIO()
    write_workbook(out, "台账", ["姓名", "描述"], [["王五\x07", "=HYPERLINK(\"x\")\x00"]])
    ws = load_workbook(BytesIO(out.getvalue())).active
    assert [c.value for c in ws[2]] == ["王五 ", "'=HYPERLINK(\"x\") "]
