"""Words the outputs print themselves, in the book's language."""

from __future__ import annotations

from bookbuild.book.model import Creator

_LABELS = {
    "zh": {
        "contents": "目录",
        "pages": "页码",
        "landmarks": "导航",
        "copyright": "版权信息",
        "cover": "封面",
        "ebook": "电子书",
        "print": "纸书",
        "titlepage": "书名页",
        "frontmatter": "前辅文",
        "bodymatter": "正文",
        "backmatter": "后辅文",
        "cip": "图书在版编目(CIP)数据",
        "page": "第 {} 页",
        "figures": "图目录",
        "index": "索引",
        "see": "见",
        "see_also": "另见",
        "tables": "表目录",
        "author": "著",
        "editor": "编",
        "translator": "译",
        "illustrator": "绘",
        "contributor": "",
        "et_al": "等",
        "go_to_page": "转到页码",
        "go": "前往",
        "previous": "上一篇",
        "next": "下一篇",
        "skip": "跳到正文",
        "whole_book": "全书单页",
        "all_pages": "页码索引",
        "search": "搜索",
        "search_book": "搜索全书",
        "search_searching": "正在搜索…",
        "search_found": "{units} 篇中找到 {matches} 处",
        "search_none": "没有找到“{}”",
        "search_more": "显示更多结果",
        "search_more_hits": "本篇另有 {} 处",
        "search_loading": "正在载入索引…",
        "search_failed": "索引载入失败：请确认 js/search/ 与本页在一起",
        "search_needs_js": "搜索需要浏览器启用 JavaScript。也可以用目录或页码索引查找。",
        "hit_page": "第 {} 页",
    },
    "en": {
        "contents": "Contents",
        "pages": "Pages",
        "landmarks": "Landmarks",
        "copyright": "Copyright",
        "cover": "Cover",
        "ebook": "e-book",
        "print": "print",
        "titlepage": "Title page",
        "frontmatter": "Front matter",
        "bodymatter": "Start of content",
        "backmatter": "Back matter",
        "cip": "Cataloging-in-Publication Data",
        "page": "page {}",
        "figures": "List of Figures",
        "index": "Index",
        "see": "see",
        "see_also": "see also",
        "tables": "List of Tables",
        "author": "",
        "editor": "editor",
        "translator": "translator",
        "illustrator": "illustrator",
        "contributor": "",
        "et_al": "et al.",
        "go_to_page": "Go to print page",
        "go": "Go",
        "previous": "Previous",
        "next": "Next",
        "skip": "Skip to content",
        "whole_book": "Whole book on one page",
        "all_pages": "All print pages",
        "search": "Search",
        "search_book": "Search the book",
        "search_searching": "Searching…",
        "search_found": "{matches} matches in {units} sections",
        "search_none": "Nothing found for “{}”",
        "search_more": "Show more results",
        "search_more_hits": "{} more in this section",
        "search_loading": "Loading the index…",
        "search_failed": "The index did not load: js/search/ must be beside this page",
        "search_needs_js": "Search needs JavaScript. The contents and the list of print pages work without it.",
        "hit_page": "p. {}",
    },
}


_LABELS["zh-Hant"] = {
    **_LABELS["zh"],
    "contents": "目錄",
    "pages": "頁碼",
    "landmarks": "導覽",
    "copyright": "版權資訊",
    "ebook": "電子書",
    "print": "紙本書",
    "titlepage": "書名頁",
    "frontmatter": "前輔文",
    "backmatter": "後輔文",
    "cip": "圖書在版編目(CIP)資料",
    "page": "第 {} 頁",
    "figures": "圖目錄",
    "tables": "表目錄",
    "see": "見",
    "see_also": "另見",
    "author": "著",
    "editor": "編",
    "translator": "譯",
    "illustrator": "繪",
    "go_to_page": "跳至頁碼",
    "whole_book": "全書單頁",
    "all_pages": "頁碼索引",
    "search": "搜尋",
    "search_book": "搜尋全書",
    "search_searching": "正在搜尋…",
    "search_found": "{units} 篇中找到 {matches} 處",
    "search_none": "沒有找到「{}」",
    "search_more": "顯示更多結果",
    "search_more_hits": "本篇另有 {} 處",
    "search_loading": "正在載入索引…",
    "search_failed": "索引載入失敗：請確認 js/search/ 與本頁在一起",
    "search_needs_js": "搜尋需要瀏覽器啟用 JavaScript。也可以用目錄或頁碼索引查找。",
    "hit_page": "第 {} 頁",
}
_TRADITIONAL = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")


def is_traditional(language: str) -> bool:
    """zh-Hant, zh-Hant-TW, zh-TW, zh-HK, zh-MO: Traditional characters."""
    return language.lower().startswith(_TRADITIONAL)


def is_chinese(language: str) -> bool:
    """zh, zh-Hans, zh-Hant-TW …: the book takes Chinese words and typography."""
    return language.lower().startswith("zh")


def labels(language: str) -> dict[str, str]:
    if is_traditional(language):
        return _LABELS["zh-Hant"]
    return _LABELS["zh" if is_chinese(language) else "en"]


def creators_line(creators: tuple[Creator, ...], role: str, language: str) -> str:
    """'马化腾 等著', '张晓峰 杜军 编' / 'Jane Smith', 'John Doe, editor'."""
    people = [c for c in creators if c.role == role]
    if not people:
        return ""
    words = labels(language)
    names = " ".join(c.name for c in people) if is_chinese(language) else ", ".join(c.name for c in people)
    et_al = any(c.et_al for c in people)
    if is_chinese(language):
        return f"{names} {words['et_al'] if et_al else ''}{words[role]}".strip()
    suffix = f" {words['et_al']}" if et_al else ""
    return f"{names}{suffix}" + (f", {words[role]}" if words[role] else "")
