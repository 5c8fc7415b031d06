"""Parse a Taiwan CIP record (國家圖書館出版品預行編目(CIP)資料).

思考的藝術：52個非受迫性思考錯誤 / 羅爾夫．杜伯里著；王榮輝譯. -- 初版. --
臺北市：商周出版：家庭傳媒城邦分公司發行，2012.11
    面；　公分
ISBN 978-986-272-269-5（平裝）
1.思考 2.謬誤
176.4                                        101020264
"""

from __future__ import annotations

import re

from bookbuild.book.model import Cip, Creator
from bookbuild.diagnostics import Diagnostic
from bookbuild.ingest.cip import CipRecord, normalise_date
from bookbuild.ingest.isbns import find_isbns

TW_HEADING_RE = re.compile(r"國家圖書館出版品預行編目\s*[(（]\s*CIP\s*[)）]\s*資料")
# the last line: the 中文圖書分類法 class and the library's record number
TW_END_RE = re.compile(r"^\s*(?P<class>\d{3}(?:\.\d+)?)\s+(?P<number>\d{8,10})\s*$")
ROLES = {
    "著": "author",
    "撰": "author",
    "編著": "editor",
    "主編": "editor",
    "編": "editor",
    "譯": "translator",
    "繪": "illustrator",
    "圖": "illustrator",
}
_ROLE_RE = re.compile(r"(等)?\s*(編著|主編|編|著|撰|譯|繪|圖)$")


def parse_tw(lines: list[tuple[int, str]], path: str) -> CipRecord:
    record = CipRecord()
    texts = [(n, " ".join(t.split())) for n, t in lines if t.strip()]
    record.cip = Cip(raw="\n".join(t for _, t in lines if t.strip()), agency="國家圖書館")
    if not texts:
        return record
    # the description runs to the collation ("面；公分") or the ISBN
    description = []
    for _, text in texts:
        if re.match(r"^(?:\d+\s*)?面|^ISBN|^1\.\s*\D", text):
            break
        description.append(text)
    areas = [
        a.strip(" .") for a in re.split(r"\s*\.?\s*--\s*|\s*[.．]\s*[—－]\s*", " ".join(description)) if a.strip(" .")
    ]
    if areas:
        title_part, _, responsibility = areas[0].partition("/")
        record.title, record.subtitle = _split_colon(title_part)
        for name in re.split(r"\s*[;；]\s*", responsibility.strip()):
            role = _ROLE_RE.search(name)
            person = _ROLE_RE.sub("", name).strip(" .,，")
            if person:
                record.creators.append(
                    Creator(
                        name=person, role=ROLES[role.group(2)] if role else "author", et_al=bool(role and role.group(1))
                    )
                )
    else:
        record.diagnostics.append(Diagnostic("M004", "Taiwan CIP record has no title", path, texts[0][0]))
    for area in areas[1:]:
        if re.search(r"版$", area) and not re.search(r"[:：]", area):
            record.edition = area
        elif re.search(r"[:：]", area):
            # 臺北市：商周出版：家庭傳媒城邦分公司發行，2012.11 — place, publisher(s), date
            place, rest = _split_colon(area)
            publishers, _, date = re.sub(r"\s*[,，]\s*(?=\d{4})", "|", rest).partition("|")
            record.place = place
            record.publisher = _split_colon(publishers)[0]
            record.date = normalise_date(date)
    joined = " ".join(t for _, t in texts)
    isbns = find_isbns(joined)
    record.isbn = isbns[0].isbn if isbns else ""
    for _, text in texts:
        if re.match(r"^1\.\s*\D", text):  # the subject tracings: "1.思考 2.謬誤"
            record.subjects += [s.strip() for s in re.split(r"\s*\d+\.\s*", text) if s.strip()]
        end = TW_END_RE.match(text)
        if end:
            record.classification.append(end.group("class"))
            record.cip = Cip(raw=record.cip.raw, agency="國家圖書館", number=end.group("number"))
    return record


def _split_colon(text: str) -> tuple[str, str]:
    """'書名：副書名' -> ('書名', '副書名'); at the first colon, full- or half-width."""
    head, _, rest = re.sub(r"\s*[:：]\s*", "：", text.strip(), count=1).partition("：")
    return head.strip(), rest.strip()
