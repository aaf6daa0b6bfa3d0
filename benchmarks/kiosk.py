"""コンビニ交付 certificates per second: render (reportlab, IPAex Gothic) + PAdES signing
(pyHanko, the mayor's RSA-2048 key), against raw PDF signing of an already rendered page
in the same run as the baseline. One thread; no database or HTTP (the PDF work only).

    .venv/bin/python -m benchmarks.kiosk [--seconds 10]

- ``render_and_sign_per_s``: a 住民票の写し for a household of four, rendered and signed;
- ``render_per_s``: rendering alone;
- ``sign_only_per_s`` (baseline): signing the same rendered page again and again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric import rsa

from benchmarks.machine import machine
from mynumber.orgs.municipality import kiosk_pdf
from mynumber.pki import lgpki


def rate(work: Callable[[], object], seconds: float) -> tuple[float, int]:
    work()  # warm up (font loading)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        work()
        done += 1
    return done / (time.perf_counter() - start), done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    now = dt.datetime.now(dt.UTC)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = lgpki.create_root(root_key, now)
    mayor_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = lgpki.official_name(
        prefecture="東京都", municipality="千代田区", title="千代田区長", holder="千代 一郎"
    )
    cert = lgpki.issue_official(root, root_key, mayor_key.public_key(), subject, now)
    signer = kiosk_pdf.MayorSigner(mayor_key, cert, root).pyhanko_signer()
    people = [
        [
            ("氏名", f"千代田\u3000{given}"),
            ("生年月日", "1980年1月1日"),
            ("性別", "男"),
            ("続柄", relation),
            ("住民となった日", "2020年4月1日"),
            ("個人番号", "（省略）"),
        ]
        for given, relation in (("太郎", "世帯主"), ("花子", "妻"), ("一郎", "子"), ("次郎", "子"))
    ]
    form = kiosk_pdf.Form(
        title="住民票の写し",
        sections=[
            [("住所", "東京都千代田区丸の内1丁目1番1号"), ("世帯主", "千代田\u3000太郎")],
            *people,
        ],
        certification="この写しは、住民票の原本と相違ないことを証明する。",
        municipality="東京都千代田区",
        mayor="千代田区長\u3000千代 一郎",
        issued_on=now.date(),
        verification_code="ABCD-EFGH-JKMN-PQRS",
        verify_url="http://127.0.0.1:8000/municipality/131016/verify",
    )
    rendered = kiosk_pdf.render(form)

    def sign(pdf: bytes) -> bytes:
        return kiosk_pdf.sign(pdf, signer, reason="住民票の写し", location="東京都千代田区")

    both, n_both = rate(lambda: sign(kiosk_pdf.render(form)), args.seconds)
    render_only, n_render = rate(lambda: kiosk_pdf.render(form), args.seconds)
    sign_only, n_sign = rate(lambda: sign(rendered), args.seconds)
    print(
        json.dumps(
            {
                "benchmark": "kiosk",
                "machine": machine(),
                "seconds_each": args.seconds,
                "render_and_sign_per_s": round(both, 1),
                "render_per_s": round(render_only, 1),
                "sign_only_per_s": round(sign_only, 1),
                "counts": {"render_and_sign": n_both, "render": n_render, "sign_only": n_sign},
                "pdf_bytes": len(sign(rendered)),
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
