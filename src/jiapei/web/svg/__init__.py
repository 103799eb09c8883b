"""Server-drawn SVG for maps and charts (DESIGN §9, reference/ui.md §4).

One way of drawing for the whole product: maps and charts are plain SVG markup written here, so
they read without JavaScript, print, survive a strict Content-Security-Policy (no inline style:
presentation attributes only) and embed unchanged in PDFs. Every figure comes with its numbers in
words or a table beside it; colour is never the only signal (each series also has a dash pattern
or a marker).
"""
