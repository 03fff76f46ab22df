"""Read one untrusted image in a process of its own (started by image_task.py with memory,
CPU and time limits): `python image_child.py ocr|colors PATH MAX_PIXELS` prints one JSON object.

- ocr: {"width", "height", "text"}: the image (EXIF-rotated, grey, at most 1600 px on its long
  side) read by the tesseract command line (page segmentation 6: a block of text).
- colors: {"width", "height", "series"}: how many saturated colours cover enough pixels to be
  a plotted curve rather than a legend sample (matplotlib's default cycle and 'b', 'r', 'g').
Any failure prints {"error": "..."}.
"""

import json
import os
import subprocess
import sys
import tempfile


def _open(path, max_pixels):
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = max_pixels
    img = Image.open(path)
    if img.width * img.height > max_pixels:
        raise ValueError(f"image too large ({img.width}x{img.height})")
    img.load()
    return ImageOps.exif_transpose(img)


def ocr(path, max_pixels):
    img = _open(path, max_pixels)
    gray = img.convert("L")
    scale = min(1.0, 1600 / max(gray.size))
    if scale < 1.0:
        gray = gray.resize((int(gray.width * scale), int(gray.height * scale)))
    texts = []
    with tempfile.TemporaryDirectory() as tmp:
        png = os.path.join(tmp, "page.png")
        gray.save(png)
        run = subprocess.run(["tesseract", png, "stdout", "--psm", "6", "-l", "eng"],
                             capture_output=True, text=True, timeout=40)
        texts.append(run.stdout)
    return {"width": img.width, "height": img.height, "text": "\n".join(texts)[:20000]}


def colors(path, max_pixels):
    import numpy as np

    img = _open(path, max_pixels).convert("RGB")
    hsv = np.asarray(img.convert("HSV"), dtype=np.int32)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    ink = (s > 90) & (v > 60)
    bins = np.bincount((h[ink] * 24) // 256, minlength=24)
    threshold = max(150, int(0.0007 * img.width * img.height))
    busy = bins >= threshold
    # neighbouring hue bins are one colour (a curve's anti-aliased edge); count runs, circularly
    series = int(sum(1 for i in range(24) if busy[i] and not busy[i - 1]))
    if busy.all():
        series = 1
    return {"width": img.width, "height": img.height, "series": series}


def main():
    mode, path, max_pixels = sys.argv[1], sys.argv[2], int(sys.argv[3])
    try:
        out = {"ocr": ocr, "colors": colors}[mode](path, max_pixels)
    except Exception as exc:  # noqa: BLE001 - reported to the grader as plain data
        out = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    sys.stdout.write(json.dumps(out))


if __name__ == "__main__":
    main()
