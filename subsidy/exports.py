"""Estimates as CSV and XLSX: the consultant's download renders the same Estimate objects as the page.

Both speak the page's language: Chinese headers and values (是/否, 定额, 有效 …), the
achievement as the consultant described it with its count, numbered from 1, cities in the page's
order (what can be applied for on the date first). CSV: one row per (city, achievement), UTF-8 with
a BOM so spreadsheet programs read the Chinese right. XLSX: a summary sheet (one row per city) and
a detail sheet with the CSV's rows; amounts as numbers formatted `#,##0`, a filter on each header,
and a first line with the dates and the disclaimer.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from calculators.models import BASIS_ZH, STATUS_ZH, Estimate
from subsidy.wording import amounts_in_text, data_date, plain_words

DISCLAIMER = "金额依据各地政策原文测算，仅供参考；以主管部门当年申报通知为准。"


@dataclass(frozen=True)
class InputRow:
    """One achievement row as the consultant entered it (aligned with Item.input_index)."""

    description: str
    count: int


# (column id, Chinese header)
ITEM_COLUMNS = (
    ("number", "序号"),
    ("city_name", "城市"),
    ("as_of", "测算日期"),
    ("description", "成果描述"),
    ("count", "数量"),
    ("label", "资助事项"),
    ("covered", "有资助条款"),
    ("amount_yuan", "条款金额（元）"),
    ("basis", "金额性质"),
    ("counted_yuan", "计入合计（元）"),
    ("policy_status", "政策状态"),
    ("effective_to", "政策有效期至"),
    ("document", "政策文件"),
    ("article", "条款"),
    ("quote", "原文"),
    ("notes", "条件与说明"),
    ("city_in_force_yuan", "该城市可申请（元）"),
    ("city_total_yuan", "该城市条款合计（元）"),
    ("total_basis", "合计性质"),
    ("rule_id", "规则编号"),
)
SUMMARY_COLUMNS = (
    ("rank", "排序"),
    ("city_name", "城市"),
    ("as_of", "测算日期"),
    ("total_in_force_yuan", "可申请（有效政策，元）"),
    ("total_yuan", "条款合计（含失效，元）"),
    ("total_basis", "合计性质"),
    ("covered_items", "有资助的成果"),
    ("caps", "封顶/限额"),
    ("policy_status", "政策状态"),
    ("warnings", "提示"),
)
YUAN_COLUMNS = {
    "amount_yuan",
    "counted_yuan",
    "city_in_force_yuan",
    "city_total_yuan",
    "total_in_force_yuan",
    "total_yuan",
}
WIDE_COLUMNS = {"quote", "notes", "caps", "warnings", "description", "document"}
FORMULA_STARTS = ("=", "+", "-", "@")


def item_rows(estimates: list[Estimate], inputs: list[InputRow]) -> list[dict[str, Any]]:

    rows = []
    for est in estimates:
        for item in est.items:
            entered = inputs[item.input_index] if item.input_index < len(inputs) else None
            rows.append(
                {
                    "number": item.input_index + 1,
                    "city_name": est.city_name,
                    "as_of": est.as_of,
                    "description": entered.description if entered else item.label,
                    "count": entered.count if entered else None,
                    "label": item.label,
                    "covered": item.covered,
                    "amount_yuan": item.amount_yuan,
                    "basis": item.basis,
                    "counted_yuan": item.counted_yuan,
                    "policy_status": item.policy_status,
                    "effective_to": item.effective_to,
                    "document": item.citation.document if item.citation else None,
                    "article": item.citation.article if item.citation else None,
                    "quote": item.citation.quote if item.citation else None,
                    "notes": "；".join(plain_words(n) for n in item.notes),
                    "city_in_force_yuan": est.total_in_force_yuan,
                    "city_total_yuan": est.total_yuan,
                    "total_basis": est.total_basis,
                    "rule_id": item.rule_id,
                }
            )
    return rows


def policy_statuses(est: Estimate) -> list[str]:
    """The distinct statuses of the documents the covered items cite, in item order."""
    return list(dict.fromkeys(i.policy_status for i in est.items if i.covered and i.policy_status))


def summary_rows(estimates: list[Estimate]) -> list[dict[str, Any]]:

    rows = []
    for rank, est in enumerate(estimates, start=1):
        covered = sum(1 for i in est.items if i.covered)
        rows.append(
            {
                "rank": rank,
                "city_name": est.city_name,
                "as_of": est.as_of,
                "total_in_force_yuan": est.total_in_force_yuan,
                "total_yuan": est.total_yuan,
                "total_basis": est.total_basis,
                "covered_items": f"{covered}/{len(est.items)}",
                "caps": "；".join(
                    f"{c.citation.article} {amounts_in_text(c.description)}（减 {c.reduced_by_yuan:,} 元）"
                    for c in est.caps_applied
                ),
                "policy_status": "、".join(STATUS_ZH[s] for s in policy_statuses(est)),
                "warnings": "；".join(est.warnings),
            }
        )
    return rows


def _cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula is kept as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def chinese_value(value: Any) -> Any:
    """Booleans, bases and statuses in the words of the page."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str) and value in STATUS_ZH:
        return STATUS_ZH[value]
    if isinstance(value, str) and value in BASIS_ZH:
        return BASIS_ZH[value]
    return value


def to_csv(estimates: list[Estimate], inputs: list[InputRow]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([label for _, label in ITEM_COLUMNS])
    for row in item_rows(estimates, inputs):
        values = [chinese_value(row[key]) for key, _ in ITEM_COLUMNS]
        writer.writerow(["" if v is None else _cell(v) for v in values])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def headline(estimates: list[Estimate]) -> str:
    """The sheet's first line: what date the amounts are for, how current the policies are, the caveat."""

    first = estimates[0] if estimates else None
    as_of = f"测算日期 {first.as_of} · " if first else ""
    return f"{as_of}政策收录截至 {data_date(first)} · {DISCLAIMER}"


def to_xlsx(estimates: list[Estimate], inputs: list[InputRow]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheets = (
        (workbook.active, "汇总", SUMMARY_COLUMNS, summary_rows(estimates)),
        (workbook.create_sheet(), "明细", ITEM_COLUMNS, item_rows(estimates, inputs)),
    )
    for sheet, title, columns, rows in sheets:
        sheet.title = title
        sheet.append([headline(estimates)])
        sheet["A1"].data_type = "s"
        sheet["A1"].font = Font(italic=True)
        sheet.append([label for _, label in columns])
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([chinese_value(row[key]) for key, _ in columns])
        for index, (key, _) in enumerate(columns, start=1):
            letter = sheet.cell(row=2, column=index).column_letter
            sheet.column_dimensions[letter].width = 40 if key in WIDE_COLUMNS else 14
            for (cell,) in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                elif key in YUAN_COLUMNS:
                    cell.number_format = "#,##0"
        sheet.auto_filter.ref = f"A2:{sheet.cell(row=2, column=len(columns)).column_letter}{len(rows) + 2}"
        sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
