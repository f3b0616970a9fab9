#!/usr/bin/env python3
"""Rasterises printable ASCII with Pillow's built-in bitmap font into src/internal/bitmap-font.ts.

Run once with Debian's python3-pil (`/usr/bin/python3 scripts/generate-font.py`); the output is committed.
"""
import base64
import os

from PIL import Image, ImageDraw, ImageFont

font = ImageFont.load_default()
height = 11
glyphs = []
widths = []
for code in range(32, 127):
    character = chr(code)
    width = max(1, int(round(font.getlength(character)))) if hasattr(font, "getlength") else font.getsize(character)[0]
    image = Image.new("1", (width, height), 0)
    ImageDraw.Draw(image).text((0, 0), character, fill=1, font=font)
    bits = bytearray()
    for y in range(height):
        for x in range(width):
            bits.append(1 if image.getpixel((x, y)) else 0)
    glyphs.append(bytes(bits))
    widths.append(width)
packed = bytearray()
for glyph in glyphs:
    packed.extend(glyph)
encoded = base64.b64encode(bytes(packed)).decode()
out = os.path.join(os.path.dirname(__file__), "..", "src", "internal", "bitmap-font.ts")
with open(out, "w") as handle:
    handle.write("/** Printable ASCII (32-126) rasterised from Pillow's default bitmap font by scripts/generate-font.py: one byte per pixel, row-major. */\n")
    handle.write(f"export const glyphHeight = {height};\n")
    handle.write(f"export const glyphWidths: readonly number[] = {widths};\n")
    handle.write(f"export const glyphPixels = '{encoded}';\n")
print("glyphs", len(glyphs), "bytes", len(packed))
