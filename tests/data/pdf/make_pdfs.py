"""Regenerate the small test PDFs in this folder (needs fpdf2, which pulls in Pillow).

    .venv/bin/python tests/data/pdf/make_pdfs.py

- articles.pdf: three pages of a regulation (a chapter, articles with numbered paragraphs and
  points, lines wrapped by the page width), a running header with the page's number and a
  "Page N of 3" footer, Title metadata.
- scan.pdf: one page holding only an image (what a scanner gives): no text layer.
- blank.pdf: one empty page.
- encrypted-open.pdf: encrypted with an owner password only (opens with the empty password).
- encrypted-locked.pdf: needs the user password "secret".

The dates are fixed so that a rerun gives the same content.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fpdf import FPDF
from PIL import Image

HERE = Path(__file__).resolve().parent
DATE = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)

PAGES = [
    [
        ("heading", "CHAPTER I"),
        ("heading", "GENERAL PROVISIONS"),
        ("heading", "Article 1"),
        ("heading", "Subject matter"),
        (
            "text",
            "1. This Regulation lays down rules for the handling of customer data by the staff of the "
            "company and by every contractor who processes such data on its behalf.",
        ),
        ("text", "2. It applies to data held on paper and in electronic form."),
    ],
    [
        ("heading", "Article 2"),
        ("heading", "Principles"),
        ("text", "1. Customer data shall be:"),
        ("text", "(a) processed lawfully and fairly;"),
        (
            "text",
            "(b) collected for specified purposes and not further processed in a manner that is "
            "incompatible with those purposes; and",
        ),
        ("text", "(c) kept no longer than necessary."),
        ("text", "2. The data owner shall be able to demonstrate compliance with paragraph 1."),
    ],
    [
        ("heading", "Article 3"),
        ("heading", "Security"),
        ("text", "Staff must lock their screens when they leave their desks."),
        ("text", "Passwords must never be shared with anyone, including the IT department."),
    ],
]


class _Journal(FPDF):
    def header(self) -> None:
        self.set_font("Helvetica", size=8)
        self.cell(0, 5, f"Acme Official Journal L 12/{self.page_no()}", new_x="LMARGIN", new_y="NEXT")
        self.ln(4)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.cell(0, 5, f"Page {self.page_no()} of 3", align="C")


def _new(cls=FPDF) -> FPDF:
    pdf = cls()
    pdf.set_creation_date(DATE)
    pdf.set_auto_page_break(True, margin=20)
    return pdf


def articles() -> bytes:
    pdf = _new(_Journal)
    pdf.set_title("Acme Data Regulation")
    for page in PAGES:
        pdf.add_page()
        for kind, text in page:
            pdf.set_font("Helvetica", style="B" if kind == "heading" else "", size=11)
            # 120 mm wide: the long paragraphs wrap onto a second and third line
            pdf.multi_cell(120, 6, text, align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    return bytes(pdf.output())


def scan() -> bytes:
    pdf = _new()
    pdf.add_page()
    image = Image.new("L", (60, 40))
    image.putdata([(x * 4 + y * 2) % 256 for y in range(40) for x in range(60)])
    pdf.image(image, x=20, y=20, w=120)
    return bytes(pdf.output())


def blank() -> bytes:
    pdf = _new()
    pdf.add_page()
    return bytes(pdf.output())


def encrypted(user_password: str) -> bytes:
    pdf = _new()
    pdf.set_encryption(owner_password="owner", user_password=user_password)  # RC4: pypdf reads it unaided
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "Article 1", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 6, "1. Staff must lock their screens.", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def main() -> None:
    outputs = {
        "articles.pdf": articles(),
        "scan.pdf": scan(),
        "blank.pdf": blank(),
        "encrypted-open.pdf": encrypted(""),
        "encrypted-locked.pdf": encrypted("secret"),
    }
    for name, data in outputs.items():
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
