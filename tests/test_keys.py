"""The cache keys cover what they depend on (bookbuild/incremental/keys.py).

Every field of the model types a key is made from is classified here: part of the key,
or left out on purpose. A field added to the model and not classified fails the first
test, so whoever adds it decides; the other tests check that each classification is what
the key does (changing a field that is part of a key changes it; changing one left out
does not).
"""

from __future__ import annotations

import dataclasses
import pickle
import sys
from importlib import metadata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import bookbuild
from bookbuild.book.model import (
    Accessibility,
    Book,
    Caption,
    CaptionNumber,
    CaptionReference,
    Creator,
    Heading,
    Image,
    IndexMark,
    Landmark,
    Link,
    LinkTargets,
    Metadata,
    Modelled,
    Navigation,
    NavPoint,
    PageMarker,
    PageRef,
    PageReference,
    ParsedUnit,
    ResolvedBook,
    ResolvedUnit,
    UnitSource,
)
from bookbuild.incremental import keys
from bookbuild.incremental.kept import KeptTargets, TocParts
from bookbuild.incremental.keys import (
    InterfaceKeys,
    anchors_key,
    book_level_key,
    interface_key,
    outline_key,
    pages_key,
    parse_key,
    shared_render_key,
    skeleton_key,
)
from bookbuild.render.epub_package import ncx_depth

# field -> True (part of the interface key) or False (left out: text, or source lines)
INTERFACE = {
    UnitSource: {
        "path": True,
        "name": True,
        "title": True,
        "kind": True,
        "body": False,
        "body_line": False,
        "page": True,
        "author": True,
        "author_note": True,
        "group": True,
        "inferred_pages": True,
        "generated": True,
        "title_line": False,
        "page_line": False,
    },
    ParsedUnit: {
        "source": True,
        "fragment": False,
        "headings": True,
        "markers": True,
        "links": True,
        "images": True,
        "ids": True,
        "page_refs": True,
        "mathml": True,
        "captions": True,
        "caption_refs": True,
        "index_marks": True,
        "renamed_ids": True,
    },
    PageReference: {"first": True, "last": True, "line": False},
    Caption: {"kind": True, "line": False, "text": True},
    CaptionReference: {"kind": True, "number": True, "line": False},
    IndexMark: {"term": True, "sub": True, "see": True, "also": True, "id": True, "page": True, "line": False},
    Heading: {"level": True, "text": True, "id": True, "line": False, "page": True, "auto": True},
    PageMarker: {"label": True, "id": True, "line": False, "known": True},
    Link: {"href": True, "line": False},
    Image: {"src": True, "alt": True, "line": False},
}
# a unit's render key: all that resolve gave it, but the unit (its parse key stands for it)
RENDER = {ResolvedUnit: {"unit": False, "hrefs": True, "captions": True}}
# the files made from the whole book: every field of the navigation, but where a page
# marker was written
BOOK_LEVEL = {
    Navigation: {
        "toc": True,
        "landmarks": True,
        "page_list": True,
        "reading_order": True,
        "figures": True,
        "tables": True,
    },
    NavPoint: {"label": True, "href": True, "page": True, "children": True},
    Landmark: {"type": True, "label": True, "href": True},
    PageRef: {"label": True, "doc": True, "id": True, "known": True, "file": False, "line": False},
}


@pytest.mark.parametrize("kind", list(INTERFACE) + list(BOOK_LEVEL) + list(RENDER), ids=lambda k: k.__name__)
def test_every_field_is_classified(kind):
    table = {**INTERFACE, **BOOK_LEVEL, **RENDER}[kind]
    fields = {f.name for f in dataclasses.fields(kind)}
    assert fields == set(table), (
        f"{kind.__name__}: fields {sorted(fields ^ set(table))} are not classified here; decide whether "
        "the key in bookbuild/incremental/keys.py depends on them (INTERFACE_OMITS, BOOK_LEVEL_OMITS)"
    )


def _changed(value):
    """A value of the same kind that differs from `value`."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if value is None:
        return "1"
    if isinstance(value, frozenset):
        return value | {"99"}
    raise TypeError(value)


SOURCE = UnitSource(
    path="book/01-a.md",
    name="01-a",
    title="标题",
    kind="chapter",
    body="正文",
    body_line=5,
    page="1",
    author=None,
    author_note=None,
    group=None,
    inferred_pages=frozenset({"2"}),
)
UNIT = ParsedUnit(
    source=SOURCE,
    fragment="<body/>",
    headings=(Heading(1, "标题", "t", 2, "1"), Heading(2, "节", "s", 7, "1")),
    markers=(PageMarker("2", "page-2", 8, True),),
    links=(Link("#s", 9),),
    images=(Image("a.png", "图", 10),),
    page_refs=(PageReference("2", None, 11),),
    ids=(("s", 7),),
)


@pytest.mark.parametrize("name", sorted(INTERFACE[UnitSource]))
def test_the_interface_key_follows_the_source_fields(name):
    changed = dataclasses.replace(SOURCE, **{name: _changed(getattr(SOURCE, name))})
    differs = interface_key(dataclasses.replace(UNIT, source=changed)) != interface_key(UNIT)
    assert differs == INTERFACE[UnitSource][name]
    assert parse_key(changed) != parse_key(SOURCE)  # the parse key depends on every field


@pytest.mark.parametrize(
    "kind,field_name", [(k, n) for k in (Heading, PageMarker, Link, Image, PageReference) for n in INTERFACE[k]]
)
def test_the_interface_key_follows_what_a_unit_holds(kind, field_name):
    attribute = {
        Heading: "headings",
        PageMarker: "markers",
        Link: "links",
        Image: "images",
        PageReference: "page_refs",
    }[kind]
    items = getattr(UNIT, attribute)
    last = items[-1]
    changed = items[:-1] + (dataclasses.replace(last, **{field_name: _changed(getattr(last, field_name))}),)
    differs = interface_key(dataclasses.replace(UNIT, **{attribute: changed})) != interface_key(UNIT)
    assert differs == INTERFACE[kind][field_name]


def test_the_interface_key_ignores_text_and_lines_of_ids_but_not_the_ids():
    assert interface_key(dataclasses.replace(UNIT, fragment="<body><p/></body>")) == interface_key(UNIT)
    assert interface_key(dataclasses.replace(UNIT, ids=(("s", 70),))) == interface_key(UNIT)
    assert interface_key(dataclasses.replace(UNIT, ids=(("s2", 7),))) != interface_key(UNIT)


def test_the_four_keys_of_a_unit_each_leave_out_their_part_and_only_it():
    """InterfaceKeys.of shares the fields the keys have in common; each key is the
    interface of the unit with its part replaced (keys.outline_key, anchors_key,
    pages_key), and sees every other change."""
    keys = InterfaceKeys.of(UNIT)
    assert keys == InterfaceKeys(
        interface_key(UNIT), outline_key(UNIT), anchors_key(UNIT), pages_key(UNIT), skeleton_key(UNIT.source)
    )
    assert len({keys.whole, keys.outline, keys.anchors, keys.pages}) == 4
    section = dataclasses.replace(UNIT.headings[1], text="另一节", id="s2")
    edits = {
        "outline": dataclasses.replace(UNIT, headings=(UNIT.headings[0], section), ids=(("s2", 7),)),
        "anchors": dataclasses.replace(UNIT, links=(Link("#t", 9),), page_refs=()),
        "pages": dataclasses.replace(UNIT, markers=(PageMarker("3", "page-3", 8, True),)),
    }
    for kind, edited in edits.items():
        now = InterfaceKeys.of(edited)
        assert now.whole != keys.whole
        for other in ("outline", "anchors", "pages"):
            assert (getattr(now, other) == getattr(keys, other)) == (other == kind), (kind, other)


META = Metadata(title="书", language="zh-Hans", creators=(Creator("张三", "author"),), isbn="9787508651781")


@pytest.mark.parametrize(
    "name", [f.name for f in dataclasses.fields(Metadata) if isinstance(getattr(META, f.name), (str, frozenset))]
)
def test_every_metadata_field_reaches_the_render_and_book_level_keys(name):
    changed = dataclasses.replace(META, **{name: _changed(getattr(META, name))})
    assert shared_render_key(changed, (), True) != shared_render_key(META, (), True)
    assert book_level_key(_modelled(changed, NAV), None) != book_level_key(_modelled(META, NAV), None)


NAV = Navigation(
    toc=(NavPoint("标题", "01-a.xhtml#t", "1", (NavPoint("节", "01-a.xhtml#s", "1"),)),),
    landmarks=(Landmark("toc", "目录", "nav.xhtml#toc"),),
    page_list=(PageRef("2", "01-a.xhtml", "page-2", True, "book/01-a.md", 8),),
    reading_order=("01-a.xhtml#t",),
)


def _modelled(meta: Metadata, nav: Navigation) -> Modelled:
    book = Book(meta, (UNIT,), (), ())
    a11y = Accessibility((), (), (), (), "")
    return Modelled(ResolvedBook(book, (), (), LinkTargets({}, {}, set(), set())), nav, a11y, ())


@pytest.mark.parametrize(
    "kind,field_name", [(k, n) for k in (NavPoint, Landmark, PageRef) for n in BOOK_LEVEL[k] if n != "children"]
)
def test_the_book_level_key_follows_the_navigation(kind, field_name):
    attribute = {NavPoint: "toc", Landmark: "landmarks", PageRef: "page_list"}[kind]
    first = getattr(NAV, attribute)[0]
    changed = dataclasses.replace(first, **{field_name: _changed(getattr(first, field_name))})
    nav = dataclasses.replace(NAV, **{attribute: (changed,)})
    differs = book_level_key(_modelled(META, nav), None) != book_level_key(_modelled(META, NAV), None)
    assert differs == BOOK_LEVEL[kind][field_name]


def test_the_render_key_follows_what_resolve_gives_a_unit():
    from bookbuild.incremental.keys import render_key, shared_render_key
    from bookbuild.render.html_site import make_site

    site = make_site(META, NAV.toc, NAV.page_list, [("01-a.xhtml", "标题", "t")], ())
    shared = shared_render_key(META, (), True)
    plain = ResolvedUnit(UNIT, (("#s", "01-a.xhtml#s"),))
    numbered = ResolvedUnit(UNIT, plain.hrefs, (CaptionNumber("figure", "1-1", "图 1-1"),))
    elsewhere = ResolvedUnit(UNIT, (("#s", "02-b.xhtml#s"),))
    keys = {render_key(shared, "k", r, site, (None, None)) for r in (plain, numbered, elsewhere)}
    assert len(keys) == 3
    assert render_key(
        shared, "k", ResolvedUnit(dataclasses.replace(UNIT, fragment="x"), plain.hrefs), site, (None, None)
    ) == render_key(shared, "k", plain, site, (None, None))  # the unit: its key


def test_model_records_have_slots_and_pickle_as_their_fields():
    """The model's many small records (render_cache, parse_cache and the workers pickle
    them all) hold no dict each, and come back from pickle equal, with every field."""
    from bookbuild.book import model

    records = [
        v
        for v in vars(model).values()
        if isinstance(v, type) and dataclasses.is_dataclass(v) and v.__module__ == model.__name__
    ]
    assert len(records) > 25
    for record in records:
        assert "__slots__" in vars(record), record
    point = NavPoint("第一章", "01.xhtml#t", "3", (NavPoint("一节", None, None),))
    marker = PageMarker("7", "page-7", 12, True)
    for value in (point, marker, (point, marker)):
        again = pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        assert again == value and pickle.dumps(again) == pickle.dumps(value)
    assert not hasattr(point, "__dict__")


# --- the contents kept a top-level entry each (kept.TocParts) --------------------------

_POINTS = st.recursive(
    st.builds(NavPoint, st.sampled_from(["一", "二", "x"]), st.sampled_from(["a.xhtml#h", None]), st.none()),
    lambda below: st.builds(
        NavPoint,
        st.just("组"),
        st.sampled_from(["b.xhtml#t", None]),
        st.none(),
        st.lists(below, max_size=4).map(tuple),
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(toc=st.lists(_POINTS, max_size=8).map(tuple), at=st.integers(0, 7), new=_POINTS)
def test_the_contents_in_parts_counts_as_the_ncx_does(toc, at, new):
    """What a quick rebuild reads of the parts instead of the whole contents: each entry
    back as it was; how deep it nests, as the NCX's dtb:depth says; how many entries
    come before a top-level one, as the NCX numbers them; and one part replaced."""

    def preorder(points):
        for point in points:
            yield point
            yield from preorder(point.children)

    parts = TocParts.of(toc)
    assert parts.load() == toc and parts.depth() == ncx_depth(toc)
    for index in range(len(toc) + 1):
        assert parts.entries_before(index) == len(list(preorder(toc[:index])))
    if toc:
        at %= len(toc)
        now = toc[:at] + (new,) + toc[at + 1 :]
        replaced = parts.replaced(at, new)
        assert replaced == TocParts.of(now) and replaced.depth() == ncx_depth(now)


# --- the link targets a quick rebuild keeps (kept.KeptTargets) -----------------------------


def _link_targets(docs: dict[str, list[str]]) -> LinkTargets:
    """As resolve indexes them, for ids no two documents share."""
    targets = {ident: (doc, "heading") for doc, ids in docs.items() for ident in ids}
    return LinkTargets(targets, {doc: frozenset(ids) for doc, ids in docs.items()}, frozenset(), frozenset())


_DOC_IDS = st.dictionaries(st.sampled_from(["a.xhtml", "b.xhtml", "c.xhtml"]), st.sets(st.integers(0, 30)))


@settings(max_examples=200, deadline=None)
@given(first=_DOC_IDS, edits=st.lists(_DOC_IDS, max_size=4))
def test_the_kept_link_targets_after_edits_are_the_book_s(first, edits):
    """Each edit gives some documents new ids (as a heading or page edit does, to one
    unit's own): the targets kept as the first build's and the documents changed since
    load as a fresh index of the book as it is then."""

    def named(docs):  # ids unique across documents, as a quick rebuild requires
        return {doc: [f"{doc[0]}{n}" for n in sorted(ids)] for doc, ids in docs.items()}

    book = named(first)
    kept = KeptTargets.of(_link_targets(book))
    for edit in edits:
        book = {**book, **named(edit)}
        kept = pickle.loads(pickle.dumps(kept.with_docs(_link_targets(book), edit)))
        loaded, fresh = kept.load(), _link_targets(book)
        assert dict(loaded.targets) == dict(fresh.targets)
        assert {doc: set(ids) for doc, ids in loaded.local_ids.items()} == {
            doc: set(ids) for doc, ids in fresh.local_ids.items()
        }


def test_library_versions_are_read_from_the_metadata_folders_importlib_would_find(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, names in (
        (first, ["Markdown-3.4.1.egg-info", "lxml-4.9.2-py3.11.egg-info", "markdown_it_py-4.3.0.dist-info"]),
        (second, ["markdown-9.9.dist-info", "pygments-2.21.0.dist-info", "Pygments-1.0.dist-info.old"]),
    ):
        folder.mkdir()
        for name in names:
            (folder / name).mkdir()
    monkeypatch.setattr(sys, "path", [str(tmp_path / "missing"), str(first), str(second)])
    libraries = ("markdown", "pygments", "latex2mathml", "lxml")
    assert keys._installed_versions(libraries) == {"markdown": "3.4.1", "lxml": "4.9.2", "pygments": "2.21.0"}


def test_library_versions_agree_with_importlib_metadata_here():
    found = keys._installed_versions(keys._OUTPUT_LIBRARIES)
    assert found == {library: metadata.version(library) for library in keys._OUTPUT_LIBRARIES}


def test_the_code_version_covers_every_source_file_and_no_compiled_one():
    package = Path(bookbuild.__file__).parent
    listed = keys._package_files(str(package))
    assert listed == sorted(listed) and "cli.py" in listed and "incremental/keys.py" in listed
    on_disk = {
        path.relative_to(package).as_posix() for path in package.rglob("*.py") if "__pycache__" not in path.parts
    }
    assert on_disk <= set(listed)
    assert not [name for name in listed if "__pycache__" in name or name.endswith(".pyc")]


SKELETON_BODY = """开头一段{{page 3}}。

## 第一节 {#one}

正文，有**强调**。

- 一项
- 二项

```
# 不是标题
```

{{page 4}}又一段。
"""


@pytest.mark.parametrize(
    ("edit", "same"),
    [
        (lambda body: body.replace("正文", "改过的正文"), True),
        (lambda body: body.replace("- 二项", "- 第二项"), True),
        (lambda body: body + "\n新的一段。\n", True),
        (lambda body: body.replace("第一节", "第1节"), False),
        (lambda body: body.replace("{#one}", "{#first}"), False),
        (lambda body: body.replace("{{page 4}}", ""), False),
        (lambda body: body.replace("{{page 3}}", "{{page 5}}"), False),
        # a page marker moved across a heading: the order is kept
        (lambda body: body.replace("{{page 3}}", "").replace("正文", "{{page 3}}正文"), False),
        (lambda body: body.replace("```\n# 不是", "\n# 不是"), False),  # a fence undone
        (lambda body: body.replace("又一段。", "又一段。\n===="), False),  # a setext heading made
        (lambda body: body + "\n<h2>标题</h2>\n", False),
        (lambda body: body.replace("## 第一节", "    ## 第一节"), False),  # now indented code
    ],
)
def test_the_skeleton_key_guesses_whether_headings_and_pages_can_have_changed(edit, same):
    source = UnitSource("book/0001-a.md", "0001-a", "标题", "chapter", SKELETON_BODY, 5, page="3")
    edited = dataclasses.replace(source, body=edit(SKELETON_BODY), body_line=9)  # lines do not count
    assert (skeleton_key(edited) == skeleton_key(source)) is same
    assert skeleton_key(dataclasses.replace(source, title="别的")) != skeleton_key(source)
    assert skeleton_key(dataclasses.replace(source, page="4")) != skeleton_key(source)
