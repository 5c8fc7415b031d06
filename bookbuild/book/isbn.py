"""ISBN-10 and ISBN-13 check digits."""

from __future__ import annotations

import re

# an ISBN as printed in a record: "ISBN 978-7-5086-5178-1", "ISBN：7 302 01968 1", "ISBN9787…"
ISBN_IN_TEXT = re.compile(r"ISBN[:：\s]*((?:97[89][-\s]?)?(?:\d[-\s]?){9}[\dXx])")


def isbn_digits(isbn: str) -> str:
    return re.sub(r"[^0-9Xx]", "", isbn).upper()


def isbn_is_valid(isbn: str) -> bool:
    digits = isbn_digits(isbn)
    if len(digits) == 13 and digits.isdigit():
        total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits[:12]))
        return (10 - total % 10) % 10 == int(digits[12])
    if len(digits) == 10 and digits[:9].isdigit():
        total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
        check = (11 - total % 11) % 11
        return digits[9] == ("X" if check == 10 else str(check))
    return False
