"""The colophon printed under the CIP record: "开 本：880mm×1032mm 1/32" and free notes."""

from __future__ import annotations

import re

from bookbuild.book.model import PrintLine

KEYS = {
    "著者": "authors",
    "作者": "authors",
    "主编": "editors",
    "编者": "editors",
    "译者": "translators",
    "策划": "planning",
    "策划推广": "promotion",
    "出品": "producer",
    "出版": "publisher",
    "出版发行": "publisher",
    "发行": "distributor",
    "承印者": "printer",
    "印刷": "printer",
    "开本": "format",
    "印张": "printed_sheets",
    "字数": "word_count",
    "版次": "edition",
    "印次": "impression",
    "书号": "book_number",
    "定价": "price",
    "责任编辑": "responsible_editor",
    "责任校对": "proofreader",
    "责任印制": "production",
    "装帧设计": "design",
    "封面设计": "cover_design",
    "广告经营许可证": "ad_license",
    "服务热线": "service_phone",
    "服务传真": "service_fax",
    "投稿邮箱": "submission_email",
    "网址": "website",
    "邮编": "postcode",
    "地址": "address",
}

# "开 本：" — a short key, possibly letter-spaced, then a full- or half-width colon.
_FIELD_RE = re.compile(r"^(?P<label>[\u4e00-\u9fff](?:\s?[\u4e00-\u9fff]){1,7})\s*[：:]\s*(?P<value>.*)$")
# a second field on the same line: "服务热线：010-… 服务传真：010-…"
_SECOND_FIELD_RE = re.compile(r"\s+(?=[\u4e00-\u9fff]{2,7}\s*[：:])")


def parse_colophon(lines: list[tuple[int, str]]) -> list[PrintLine]:
    out: list[PrintLine] = []
    for _, text in lines:
        text = text.strip()
        if not text:
            continue
        for piece in _SECOND_FIELD_RE.split(text):
            field = _FIELD_RE.match(piece)
            if field:
                label = re.sub(r"\s", "", field.group("label"))
                out.append(PrintLine(value=field.group("value").strip(), label=label, key=KEYS.get(label, label)))
            elif out and out[-1].label and re.match(r"^[(（]", piece):
                # "(北京市朝阳区…)" continues the field above it
                previous = out.pop()
                out.append(PrintLine(value=f"{previous.value} {piece}", label=previous.label, key=previous.key))
            else:
                out.append(PrintLine(value=piece))
    return out
