"""The documented set of unit kinds and what each means in EPUB structural semantics."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str
    epub_type: str
    role: str | None  # DPUB-ARIA role allowed on <section>, if any
    matter: str  # front | body | back
    leads_book: bool = False  # comes before the contents, and is not listed in it


def leads_book(kind: str) -> bool:
    """Cover, title page and copyright page: before the contents, not in it."""
    found = KINDS.get(kind)
    return found is not None and found.leads_book


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("cover", "cover", None, "front", leads_book=True),
        Kind("titlepage", "titlepage", None, "front", leads_book=True),
        Kind("copyright-page", "copyright-page", None, "front", leads_book=True),
        Kind("dedication", "dedication", "doc-dedication", "front"),
        Kind("epigraph", "epigraph", "doc-epigraph", "front"),
        Kind("foreword", "foreword", "doc-foreword", "front"),
        Kind("preface", "preface", "doc-preface", "front"),
        Kind("introduction", "introduction", "doc-introduction", "front"),
        Kind("prologue", "prologue", "doc-prologue", "body"),
        Kind("part", "part", "doc-part", "body"),
        Kind("chapter", "chapter", "doc-chapter", "body"),
        Kind("epilogue", "epilogue", "doc-epilogue", "back"),
        Kind("conclusion", "conclusion", "doc-conclusion", "back"),
        Kind("afterword", "afterword", "doc-afterword", "back"),
        Kind("appendix", "appendix", "doc-appendix", "back"),
        Kind("acknowledgments", "acknowledgments", "doc-acknowledgments", "back"),
        Kind("index", "index", "doc-index", "back"),
        Kind("colophon", "colophon", None, "back"),
    )
}

# Chinese front/back-matter labels as printed in contents pages, and the kind each means.
CJK_LABEL_KINDS: dict[str, str] = {
    "前言": "preface",
    "序": "foreword",
    "序言": "foreword",
    "代序": "foreword",
    "推荐序": "foreword",
    "自序": "preface",
    "引言": "introduction",
    "导论": "introduction",
    "导言": "introduction",
    "绪论": "introduction",
    "序章": "prologue",
    "楔子": "prologue",
    "结语": "conclusion",
    "结束语": "conclusion",
    "结论": "conclusion",
    "尾声": "epilogue",
    "后记": "afterword",
    "跋": "afterword",
    "附录": "appendix",
    "索引": "index",
    "致谢": "acknowledgments",
    "出版说明": "colophon",
    "编后记": "afterword",
    # the same labels in traditional characters (Taiwan, Hong Kong)
    "導論": "introduction",
    "導言": "introduction",
    "緒論": "introduction",
    "結語": "conclusion",
    "結束語": "conclusion",
    "結論": "conclusion",
    "尾聲": "epilogue",
    "後記": "afterword",
    "附錄": "appendix",
    "致謝": "acknowledgments",
    "出版說明": "colophon",
    "編後記": "afterword",
}

EN_LABEL_KINDS: dict[str, str] = {
    "preface": "preface",
    "foreword": "foreword",
    "introduction": "introduction",
    "prologue": "prologue",
    "epilogue": "epilogue",
    "conclusion": "conclusion",
    "afterword": "afterword",
    "appendix": "appendix",
    "index": "index",
    "acknowledgments": "acknowledgments",
    "acknowledgements": "acknowledgments",
    "dedication": "dedication",
}
