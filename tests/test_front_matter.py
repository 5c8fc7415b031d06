"""Front matter of books with no Chinese CIP record: the Library of Congress classic card,
a copyright page with only ISBN lines; every ISBN with its qualifier, the e-book's own
ISBN as the EPUB's identifier and the print one as dc:source."""

from __future__ import annotations

from conftest import FIXTURES
from epub_helpers import read_xml

from bookbuild.book.metadata import parse_metadata
from bookbuild.book.model import IsbnEntry
from bookbuild.cli import main
from bookbuild.ingest import ingest
from bookbuild.ingest.isbns import choose, find_isbns
from bookbuild.ingest.write import write_result

BOOKS = FIXTURES / "books"
OPF = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}


def test_isbn_lines_with_their_qualifiers():
    assert find_isbns("ISBN 978-1-4493-3072-9 (pbk.)") == [IsbnEntry("978-1-4493-3072-9", "pbk", "print")]
    assert find_isbns("eBook ISBN 978-0-306-40615-7") == [IsbnEntry("978-0-306-40615-7", "eBook", "ebook")]
    assert find_isbns("ISBN 978-7-5086-5178-1（平装）") == [IsbnEntry("978-7-5086-5178-1", "平装", "print")]
    both = find_isbns("Identifiers: LCCN 2018012345 | ISBN 9780306406157 (hardcover) | ISBN 9781402894626 (ebook)")
    assert [e.medium for e in both] == ["print", "ebook"]
    assert choose(both) == ("9781402894626", "9780306406157")
    assert find_isbns("ISBN 978-0-306-40615-8") == []  # a wrong check digit is no ISBN
    # an ISBN not said to be the e-book's is the print book's: never the EPUB's identifier
    assert choose(find_isbns("书号：ISBN 7-302-01968-1/TM·22")) == ("", "7-302-01968-1")


def test_library_of_congress_classic_card(tmp_path):
    source = BOOKS / "english-classic-loc.txt"
    result = ingest(source.read_bytes(), str(source))
    meta = result.metadata
    assert (meta.title, meta.subtitle) == ("The quiet machine", "How small tools shape large systems")
    assert [(c.name, c.role, c.file_as) for c in meta.creators] == [("Jane Smith", "author", "Smith, Jane")]
    assert meta.edition == "1st ed"
    assert (meta.isbn, meta.print_isbn) == ("978-1-4028-9462-6", "978-0-306-40615-7")
    assert [(e.qualifier, e.medium) for e in meta.isbns] == [("pbk. : alk. paper", "print"), ("ebook", "ebook")]
    assert meta.subjects == ("Technology—Social aspects", "Tools")
    assert meta.classification == ("LCC T14.5 .S65 2019", "DDC 303.48'3—dc23")
    assert (meta.cip.agency, meta.cip.number) == ("Library of Congress", "2018012345")
    # the card's lines are in the record, the copyright notes in the colophon
    assert [p.value for p in meta.print_lines] == [
        "Copyright © 2019 by Jane Smith. All rights reserved.",
        "Printed in the United States of America",
        "First Edition",
    ]
    files = dict(result.files)
    assert "{{page 2}}by people who never met." in files["book/03-chapter-1.md"]
    assert "page: viii" in files["book/02-preface.md"]  # printed on the page (the contents said vii)
    write_result(result, tmp_path)
    assert main(["build", "--root", str(tmp_path), "-q"]) == 0
    opf = read_xml(next((tmp_path / "dist").glob("*.epub")), "EPUB/package.opf")
    assert opf.findtext(".//dc:identifier", namespaces=OPF) == "urn:isbn:9781402894626"
    assert opf.findtext(".//dc:source", namespaces=OPF) == "urn:isbn:9780306406157"


def test_copyright_page_without_cip():
    source = BOOKS / "english-no-cip.raw.md"
    meta = ingest(source.read_bytes(), str(source)).metadata
    assert (meta.title, meta.subtitle) == ("Field Notes on Rivers", "Essays")
    assert (meta.isbn, meta.print_isbn) == ("978-1-4028-9462-6", "978-0-306-40615-7")
    assert "First edition 2021" in [p.value for p in meta.print_lines]


def test_metadata_isbn_keys_are_checked():
    meta, found = parse_metadata(
        "title: T\nlanguage: en\nisbn: 978-1-4028-9462-6\nprint_isbn: 978-0-306-40615-8\nisbns: [x]\n"
    )
    assert {(d.code, d.line) for d in found} == {("M003", 4), ("M005", 5)}
    meta, found = parse_metadata(
        "title: T\nlanguage: en\nprint_isbn: 978-0-306-40615-7\n"
        "isbns:\n- {isbn: 978-0-306-40615-7, qualifier: paperback, medium: print}\n"
    )
    assert not found and meta.isbns == (IsbnEntry("978-0-306-40615-7", "paperback", "print"),)


def test_taiwan_cip_record(tmp_path):
    source = BOOKS / "taiwan-cip.raw.md"
    result = ingest(source.read_bytes(), str(source))
    meta = result.metadata
    assert (meta.title, meta.subtitle, meta.language) == ("思考的藝術", "52個非受迫性思考錯誤", "zh-Hant")
    assert [(c.name, c.role) for c in meta.creators] == [("羅爾夫．杜伯里", "author"), ("王榮輝", "translator")]
    assert (meta.edition, meta.place, meta.publisher, meta.date) == ("初版", "臺北市", "商周出版", "2012-11")
    assert (meta.isbn, meta.print_isbn) == ("", "978-986-272-269-5") and meta.isbns[0].medium == "print"  # 平裝
    assert (meta.subjects, meta.classification) == (("思考", "謬誤"), ("176.4",))
    assert (meta.cip.agency, meta.cip.number) == ("國家圖書館", "101020264")
    assert [name for name, _ in result.files][:4] == [
        "book/01-titlepage.md",
        "book/02-preface.md",
        "book/03-chapter-1.md",
        "book/04-chapter-2.md",
    ]
    write_result(result, tmp_path)
    assert main(["build", "--root", str(tmp_path), "-q"]) == 0
