"""A user mistake said in Chinese on a page, with the library's one-line message kept beside it.

The library's messages (`achievements[0].role: is required (allowed: lead, participate)`) name
the field for the API and the CLI; a page says the same thing in the words of its form
(第 1 项成果：请选择「角色」). The original stays on the page in small type, for support.
"""

from __future__ import annotations

import re

from subsidy.wording import _field_words

ROW_FIELD = re.compile(r"^achievements\[(\d+)\](?:\.(\w+))?: (.*)$", re.S)
DATE = re.compile(r"^as_of: .* is not a valid date")
UNKNOWN_CITY = re.compile(r"^city: unknown city")
TOO_MANY = re.compile(r"must be at most ([\d,]+)")
TOO_LONG = re.compile(r"^message: too long: (\d+) characters \(limit (\d+)\)")


def _field_title(name: str) -> str:

    if name == "count":
        return "数量"
    words = _field_words().get(name)
    return words[0] if words else name


def _row_message(row: int, field: str | None, said: str) -> str:
    where = f"第 {row + 1} 项成果"
    if field is None:
        return f"{where}有误，请检查。"
    title = _field_title(field)
    if said.startswith("is required"):
        return f"{where}：请选择「{title}」。"
    if field == "count":
        many = TOO_MANY.search(said)
        if many:
            return f"{where}：数量最多 {many.group(1)}。"
        return f"{where}：数量须为正整数。"
    if field == "type":
        return f"{where}：请从列表中选择成果类型。"
    return f"{where}：「{title}」的取值不在列表中，请重新选择。"


def chinese_message(text: str) -> tuple[str, str | None]:
    """(what the page says, the original message or None when the page says it all)."""
    match = ROW_FIELD.match(text)
    if match:
        return _row_message(int(match.group(1)), match.group(2), match.group(3)), text
    if DATE.match(text):
        return "日期格式有误，请按 年-月-日 填写，例如 2022-06-01。", text
    if UNKNOWN_CITY.match(text):
        return "没有这个城市的政策，请从列表中选择。", text
    if text.startswith("achievements: add at least one"):
        return "请至少选择一项成果类型，再点「测算」。", None
    if text.startswith("message: must not be empty"):
        return "请先输入问题。", text
    too_long = TOO_LONG.match(text)
    if too_long:
        return f"问题太长（{too_long.group(1)} 字），请控制在 {too_long.group(2)} 字以内。", text
    if text.startswith("document: unknown document") or text.startswith("没有编号为"):
        return "没有这份政策文件。请从「政策」页的列表进入。", None
    return "输入有误，请检查后重试。", text
