#!/usr/bin/env python3
"""Measures a screenshot of an audit report page (base/render.h's style): no
imaging library is needed (python3-pil is not installed), the PNG is decoded
here with zlib (8-bit RGB or RGBA, not interlaced: what Chromium writes).

Prints one JSON object:
  width, height           the image's size
  dark_pixels             pixels darker than 110 (text, rules, borders)
  dark_rows               rows holding at least one such pixel
  header_bands            top y of each band of table-header grey (#e8e8e8)
                          at least 300 px wide: one per table on the page
  first_table             the first table (the evidence package): its
                          header band's y, the number of border lines (runs
                          of dark pixels 400 px or wider) before the next
                          header band or the page's end, and the dark pixels
                          between its first and last border line (its text)
Exit 1 when the file is not a PNG this script reads.
Usage: png_check.py FILE.png
"""
import json
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or color not in (2, 6) or interlace:
                raise ValueError("unsupported PNG (depth %d, color %d)" % (depth, color))
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev, at = [], bytearray(stride), 0
    for _ in range(height):
        f = raw[at]
        line = bytearray(raw[at + 1:at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        # Luminance per pixel (the green channel is close enough for grey text).
        rows.append([line[x * bpp + 1] for x in range(width)])
        prev = line
    return width, height, rows


def longest_run(row, test):
    best = run = 0
    for v in row:
        run = run + 1 if test(v) else 0
        best = max(best, run)
    return best


def main():
    try:
        width, height, rows = decode(sys.argv[1])
    except (ValueError, zlib.error, struct.error, OSError) as e:
        print(json.dumps({"error": str(e)}))
        return 1
    dark = [sum(1 for v in r if v < 110) for r in rows]
    header, borders = [], []
    for y, r in enumerate(rows):
        if longest_run(r, lambda v: 226 <= v <= 238) >= 300 and (not header or y > header[-1][1] + 1):
            header.append([y, y])
        elif header and longest_run(r, lambda v: 226 <= v <= 238) >= 300:
            header[-1][1] = y
        if longest_run(r, lambda v: v < 110) >= 400:
            borders.append(y)
    first = {}
    if header:
        top = header[0][0]
        end = header[1][0] if len(header) > 1 else height
        lines = [y for y in borders if top - 3 <= y < end]
        # Adjacent rows of one thick border count once.
        merged = [y for i, y in enumerate(lines) if i == 0 or y > lines[i - 1] + 1]
        text = sum(dark[y] for y in range(merged[0] + 2, merged[-1] - 1)) if len(merged) > 1 else 0
        first = {"header_y": top, "border_lines": len(merged), "text_dark_pixels": text}
    print(json.dumps({"width": width, "height": height, "dark_pixels": sum(dark),
                      "dark_rows": sum(1 for d in dark if d), "header_bands": [h[0] for h in header],
                      "first_table": first}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
