"""``mynumber reader serve``: the local helper a PC browser hands the login challenge to,
like the real マイナポータルAP: a small HTTP server on 127.0.0.1 that signs with the card
in a PC/SC reader (or a card image file, for demos). CORS admits the portal's origin only.

``POST /sign`` {"mode": "01", "digest": base64 challenge, "pin": "1234"} →
{"signature", "certificate"} (domain-reference §4.5, mode 01).
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from mynumber.cli.options import DataDir, settings
from mynumber.devices import phone as device
from mynumber.errors import Error
from mynumber.reader import JPKIClient, PCSCTransport, PinBlocked, PinIncorrect

app = typer.Typer(help="Local card-reader helper for browser login.", no_args_is_help=True)
console = Console()


def make_server(
    *, port: int, origin: str, client: Callable[[], JPKIClient], host: str = "127.0.0.1"
) -> ThreadingHTTPServer:
    """The helper's server (not started); ``client`` opens the card for each request."""
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return  # no PINs or challenges in logs

        def _allowed(self) -> bool:
            return self.headers.get("Origin") in (None, origin)

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            if self.headers.get("Origin") == origin:
                self.send_header("Access-Control-Allow-Origin", origin)
                self.send_header("Vary", "Origin")
            self.end_headers()
            self.wfile.write(data)

        def do_OPTIONS(self) -> None:
            if not self._allowed():
                self._send(403, {"detail": "origin not allowed"})
                return
            self.send_response(204)
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Access-Control-Allow-Methods", "POST")
            self.send_header("Access-Control-Allow-Headers", "content-type")
            self.send_header("Access-Control-Allow-Private-Network", "true")
            self.send_header("Vary", "Origin")
            self.end_headers()

        def do_POST(self) -> None:
            if not self._allowed():
                self._send(403, {"detail": "origin not allowed"})
                return
            if self.path != "/sign":
                self._send(404, {"detail": "POST /sign"})
                return
            try:
                length = min(int(self.headers.get("content-length") or 0), 65536)
                request = json.loads(self.rfile.read(length))
                if request.get("mode") != "01":
                    raise ValueError("only mode 01 (login) is served")
                challenge = base64.b64decode(request["digest"], validate=True)
                pin = str(request["pin"])
            except (ValueError, KeyError, TypeError, binascii.Error) as exc:
                self._send(400, {"detail": f"bad request: {exc}"})
                return
            try:
                with lock:
                    answer = device.sign_challenge(client(), challenge, pin=pin)
            except PinIncorrect as exc:
                self._send(
                    401,
                    {
                        "detail": f"暗証番号が違います。残り{exc.tries_left}回 / "
                        f"wrong PIN: {exc.tries_left} tries left",
                        "tries_left": exc.tries_left,
                    },
                )
                return
            except PinBlocked:
                self._send(
                    403,
                    {
                        "detail": "暗証番号がロックされています。市区町村の窓口で初期化してください"
                        " / the PIN is locked: have it reset at your municipality's counter"
                    },
                )
                return
            except Error as exc:
                self._send(503, {"detail": exc.message})
                return
            body = answer.to_json(via="reader")
            self._send(200, {"signature": body["signature"], "certificate": body["certificate"]})

    return ThreadingHTTPServer((host, port), Handler)


@app.command()
def serve(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1.")] = 8765,
    card: Annotated[
        Path | None, typer.Option("--card", help="A card image file instead of a PC/SC reader.")
    ] = None,
    reader: Annotated[
        str | None, typer.Option("--reader", help="Part of the PC/SC reader's name.")
    ] = None,
    origin: Annotated[
        str | None, typer.Option("--origin", help="The portal's origin (default: local server).")
    ] = None,
    data: DataDir = None,
) -> None:
    """Sign login challenges for the browser with the card in a reader (or a card file)."""
    allowed = (origin or settings(data).base_url).rstrip("/")

    def client() -> JPKIClient:
        if card is not None:
            return device.open_card(card, settings(data).data_dir / "card-seal.key")
        return JPKIClient(PCSCTransport(reader))

    server = make_server(port=port, origin=allowed, client=client)
    console.print(
        f"reader helper on http://127.0.0.1:{port}/sign for {allowed} "
        f"({'card file ' + str(card) if card else 'PC/SC reader'}); Ctrl-C stops it"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
