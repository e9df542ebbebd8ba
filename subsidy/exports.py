"""Estimates as CSV and XLSX: the consultant's download renders the same Estimate objects as the page.

CSV: one row per (city, achievement), machine-friendly column ids (the contract's field
names), UTF-8 with a BOM so spreadsheet programs read the Chinese right. XLSX: a summary
sheet (one row per city) and a detail sheet with the same rows as the CSV, Chinese headers.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from calculators.models import BASIS_ZH, STATUS_ZH, Estimate

# (column id, Chinese header)
ITEM_COLUMNS = (
    ("city", "城市代码"),
    ("city_name", "城市"),
    ("as_of", "测算日期"),
    ("input_index", "序号"),
    ("type", "成果类型"),
    ("label", "成果"),
    ("covered", "有资助条款"),
    ("amount_yuan", "条款金额（元）"),
    ("basis", "金额性质"),
    ("counted_yuan", "计入总额（元）"),
    ("policy_status", "政策状态"),
    ("effective_to", "政策有效期至"),
    ("document", "政策文件"),
    ("article", "条款"),
    ("quote", "原文"),
    ("rule_id", "规则编号"),
    ("notes", "说明"),
    ("city_total_yuan", "该城市合计（元）"),
    ("total_basis", "合计性质"),
)
SUMMARY_COLUMNS = (
    ("city", "城市代码"),
    ("city_name", "城市"),
    ("as_of", "测算日期"),
    ("total_yuan", "合计（元）"),
    ("total_basis", "合计性质"),
    ("total_in_force_yuan", "其中有效政策（元）"),
    ("covered_items", "有资助的成果"),
    ("caps", "封顶/限额"),
    ("policy_status", "政策状态"),
    ("warnings", "提示"),
)
FORMULA_STARTS = ("=", "+", "-", "@")


def item_rows(estimates: list[Estimate]) -> list[dict[str, Any]]:
    rows = []
    for est in estimates:
        for item in est.items:
            rows.append(
                {
                    "city": est.city,
                    "city_name": est.city_name,
                    "as_of": est.as_of,
                    "input_index": item.input_index,
                    "type": item.type,
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
                    "rule_id": item.rule_id,
                    "notes": "；".join(item.notes),
                    "city_total_yuan": est.total_yuan,
                    "total_basis": est.total_basis,
                }
            )
    return rows


def policy_statuses(est: Estimate) -> list[str]:
    """The distinct statuses of the documents the covered items cite, in item order."""
    return list(dict.fromkeys(i.policy_status for i in est.items if i.covered and i.policy_status))


def summary_rows(estimates: list[Estimate]) -> list[dict[str, Any]]:
    rows = []
    for est in estimates:
        covered = sum(1 for i in est.items if i.covered)
        rows.append(
            {
                "city": est.city,
                "city_name": est.city_name,
                "as_of": est.as_of,
                "total_yuan": est.total_yuan,
                "total_basis": est.total_basis,
                "total_in_force_yuan": est.total_in_force_yuan,
                "covered_items": f"{covered}/{len(est.items)}",
                "caps": "；".join(
                    f"{c.citation.article} {c.description}（减 {c.reduced_by_yuan} 元）"
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


def to_csv(estimates: list[Estimate]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([key for key, _ in ITEM_COLUMNS])
    for row in item_rows(estimates):
        writer.writerow(["" if row[key] is None else _cell(row[key]) for key, _ in ITEM_COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(estimates: list[Estimate]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheets = (
        (workbook.active, "汇总", SUMMARY_COLUMNS, summary_rows(estimates)),
        (workbook.create_sheet(), "明细", ITEM_COLUMNS, item_rows(estimates)),
    )
    for sheet, title, columns, rows in sheets:
        sheet.title = title
        sheet.append([label for _, label in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_xlsx_value(row[key]) for key, _ in columns])
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
        for index, (key, _) in enumerate(columns, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = (
                48 if key in ("quote", "notes", "caps", "warnings") else 16
            )
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str) and value in STATUS_ZH:
        return STATUS_ZH[value]
    if isinstance(value, str) and value in BASIS_ZH:
        return BASIS_ZH[value]
    return value
