#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Test helper (not a test): for each PNG named, print
#   FILE WIDTH HEIGHT INK COLOURED COLOURS
# INK: the fraction of pixels that are not the background (the corner
# pixel's colour); COLOURED: the fraction that are a colour, not a grey
# (text, frame and grid are black and grey; curves and maps are
# coloured); COLOURS: the number of distinct colours. Exit 3 when
# PIL (Debian python3-pil) cannot be imported.
import sys

try:
    from PIL import Image
except ImportError:
    sys.exit(3)

for path in sys.argv[1:]:
    with Image.open(path) as im:
        rgb = im.convert("RGB")
        w, h = rgb.size
        bg = rgb.getpixel((0, 0))
        counts = rgb.getcolors(maxcolors=w * h)
        ink = 1.0 - sum(n for n, c in counts if c == bg) / float(w * h)
        coloured = sum(n for n, c in counts if max(c) - min(c) > 40)
        print("%s %d %d %.4f %.4f %d" % (path, w, h, ink,
                                        coloured / float(w * h), len(counts)))
