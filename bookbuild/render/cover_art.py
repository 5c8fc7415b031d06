"""Draw a typographic cover (title, subtitle, creators, publisher) as a JPEG, for a book
that has no cover picture: stores and shelves show a blank without one. Pillow draws it
with the font book.fonts found; the same design and font give the same bytes."""

from __future__ import annotations

import hashlib
import io
import unicodedata
from typing import TYPE_CHECKING

from bookbuild.book.cover import COVER_SIZE
from bookbuild.book.model import CoverDesign, CoverFont

if TYPE_CHECKING:
    from PIL import ImageDraw, ImageFont

# (background, text, accent): dark grounds with light type read at thumbnail size
_PALETTES = (
    ((24, 42, 74), (245, 240, 228), (212, 175, 90)),  # navy, ivory, gold
    ((110, 28, 38), (248, 238, 225), (230, 190, 120)),  # lacquer red, cream, gold
    ((28, 64, 52), (240, 238, 226), (200, 180, 110)),  # jade, ivory, brass
    ((38, 38, 42), (244, 244, 240), (196, 60, 50)),  # ink, paper, seal red
    ((60, 44, 86), (244, 238, 230), (214, 180, 120)),  # aubergine, cream, gold
)
_MARGIN = 160
# a line does not start with these (clreq's line-start prohibitions, the common ones)
_NO_LINE_START = set("，。、；：？！）》」』”’…—·,.;:?!)]}")


def _font(font: CoverFont, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(font.path, size, index=font.index)


def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _tokens(text: str) -> list[str]:
    """Units a line may break between: each wide (CJK) character, each Latin word with the
    space after it."""
    tokens: list[str] = []
    for ch in text:
        if _is_wide(ch) or not tokens or _is_wide(tokens[-1][-1]) or tokens[-1].endswith(" "):
            if ch in _NO_LINE_START and tokens:
                tokens[-1] += ch  # keep a closing mark with what it closes
            else:
                tokens.append(ch)
        else:
            tokens[-1] += ch
    return tokens


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        if line and font.getlength((line + token).rstrip()) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _fit(text: str, font: CoverFont, size: int, width: int, max_lines: int) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest size (down from `size`) at which `text` wraps into `max_lines` lines."""
    while True:
        face = _font(font, size)
        lines = _wrap(text, face, width)
        if len(lines) <= max_lines or size <= 40:
            return face, lines
        size = int(size * 0.9)


def _centred(
    draw: ImageDraw.ImageDraw,
    lines: list[str],
    face: ImageFont.FreeTypeFont,
    top: int,
    colour: tuple[int, int, int],
    leading: float,
) -> int:
    """Draws `lines` centred from `top`; returns the y below them."""
    step = int(face.size * leading)
    for line in lines:
        draw.text((COVER_SIZE[0] // 2, top), line, font=face, fill=colour, anchor="ma")
        top += step
    return top


def draw_cover(design: CoverDesign) -> bytes:
    # imported here: Pillow costs every build process about 10 MiB, and only a build that
    # draws a cover (not one that finds it in the cache) needs it
    from PIL import Image, ImageDraw

    width, height = COVER_SIZE
    digest = hashlib.sha256(design.title.encode("utf-8")).digest()
    ground, ink, accent = _PALETTES[digest[0] % len(_PALETTES)]
    image = Image.new("RGB", COVER_SIZE, ground)
    draw = ImageDraw.Draw(image)
    text_width = width - 2 * _MARGIN
    # a frame in the accent colour, as on a cloth binding
    draw.rectangle((72, 72, width - 73, height - 73), outline=accent, width=6)

    title_face, title_lines = _fit(design.title, design.bold, 200, text_width, 4)
    y = _centred(draw, title_lines, title_face, 420, ink, 1.25)
    if design.subtitle:
        face, lines = _fit(design.subtitle, design.font, 88, text_width, 3)
        y = _centred(draw, lines, face, y + 60, ink, 1.35)
    draw.line((width // 2 - 160, y + 70, width // 2 + 160, y + 70), fill=accent, width=6)

    creators_face = _font(design.font, 72)
    lines = [line for creator in design.creators for line in _wrap(creator, creators_face, text_width)]
    _centred(draw, lines, creators_face, max(y + 180, 1500), ink, 1.45)
    if design.publisher:
        face, lines = _fit(design.publisher, design.font, 64, text_width, 2)
        _centred(draw, lines, face, height - 300 - int(face.size * 1.3) * (len(lines) - 1), accent, 1.3)

    out = io.BytesIO()
    image.save(out, "JPEG", quality=88, optimize=True, progressive=False)
    return out.getvalue()
