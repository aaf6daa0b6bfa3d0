"""``mynumber run`` and ``mynumber seed``."""

from __future__ import annotations

import json
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from mynumber import federation
from mynumber.cli.options import DataDir, settings
from mynumber.orgs.municipality.model import municipality
from mynumber.platform import logs

if TYPE_CHECKING:
    from mynumber.platform.settings import Settings

out = Console()


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=out,
    )


def run(
    port: Annotated[int, typer.Option(help="port to serve on")] = 8000,
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    seed_demo: Annotated[
        bool, typer.Option("--seed/--no-seed", help="seed demo data on first start")
    ] = True,
    data: DataDir = None,
    split: Annotated[
        bool,
        typer.Option(
            "--split", help="one process per organisation, on ports PORT, PORT+1, … (printed)"
        ),
    ] = False,
    processes: Annotated[
        list[str] | None,
        typer.Option(
            "--processes",
            help="with --split: ORG=N processes for that organisation, sharing its port "
            "(the kernel spreads the connections); repeatable, e.g. --processes hub=4",
        ),
    ] = None,
) -> None:
    """Serve every organisation on one server, seeding demo data on first start."""
    config = settings(data).model_copy(update={"port": port, "host": host})
    copies = _copies(config, processes or [], split=split)
    fed = federation.build(config, in_process=False)
    if seed_demo:
        in_process = federation.build(config, in_process=True)
        with _progress() as bar:
            tasks: dict[str, TaskID] = {}

            def advance(org: str, n: int) -> None:
                if org not in tasks:
                    tasks[org] = bar.add_task(f"seeding {org}", total=config.seed_residents)
                bar.advance(tasks[org], n)

            in_process.seed_demo(advance)
        in_process.close()
    if split:
        fed.close()
        _run_split(config, copies)
        return
    fed.apps.build_all()  # every organisation ready (its database migrated) before it listens
    logs.configure(config.log_level)  # after seeding: its internal requests are not news
    out.print(f"[bold]mynumber[/bold] on {config.base_url}/  (data: {config.data_dir.resolve()})")
    rows = [(fed.apps[org].title, url) for org, url in fed.urls().items()]
    rows.append(("phone (マイナポータルアプリ)", f"{config.base_url}{federation.PHONE_PATH}/"))
    rows.append(("kiosk (コンビニ交付)", f"{config.base_url}{federation.KIOSK_PATH}/sunrise-0001/"))
    rows.append(("health", f"{config.base_url}/healthz"))
    width = max(cell_len(title) for title, _ in rows)
    for title, url in rows:  # padded by display width: kanji take two columns
        out.print(f"  {title}{' ' * (width - cell_len(title))}  {url}", soft_wrap=True)
    _print_jpki(fed)
    from mynumber.platform import limits

    _serve(fed.root, host, port, threads=limits.thread_tokens(config, len(fed.apps)))


def seed(
    residents: Annotated[
        int, typer.Option("--residents", "-n", min=1, help="how many residents")
    ] = 1000,
    municipality_code: Annotated[
        str | None,
        typer.Option(
            "--municipality", "-m", help="municipality code (default: each demo municipality)"
        ),
    ] = None,
    data: DataDir = None,
) -> None:
    """Register N synthetic residents (Faker ja_JP) with codes and My Numbers from J-LIS."""
    config = settings(data)
    codes = (
        [municipality(municipality_code).code] if municipality_code else list(config.municipalities)
    )
    if municipality_code and municipality_code not in config.municipalities:
        config = config.model_copy(
            update={"municipalities": (*config.municipalities, municipality_code)}
        )
    fed = federation.build(config, in_process=True)
    try:
        with _progress() as bar:
            for code in codes:
                task = bar.add_task(f"seeding {code}", total=residents)
                report = fed.seed(code, residents, partial(bar.advance, task))
                rate = report.residents / max(report.seconds, 1e-9)
                out.print(
                    f"{code}: {report.residents} residents in {report.households} households, "
                    f"{report.seconds:.1f} s ({rate:,.0f}/s; "
                    f"J-LIS {report.numbering_seconds:.1f} s, "
                    f"database {report.writing_seconds:.1f} s); "
                    f"{report.enrolled} enrolled at the hub"
                )
    finally:
        fed.close()


def _print_jpki(fed: federation.Federation) -> None:
    """J-LIS's CA, OCSP and CRL URLs, and the demo wallet with its PINs (demo values)."""
    base = fed.settings.base_url + "/jlis"

    def line(text: str) -> None:
        out.print(text, soft_wrap=True)  # never wrap a path or a URL

    line("[bold]J-LIS JPKI[/bold]: OCSP and CRLs need a verifier (mynumber jlis verifier add NAME)")
    for hierarchy in ("auth", "sign"):
        line(f"  {hierarchy} CA   {base}/ca/{hierarchy}.pem")
        line(f"  {hierarchy} OCSP {base}/ocsp/{hierarchy}")
        line(f"  {hierarchy} CRL  {base}/crl/{hierarchy}.crl")
    wallet = fed.demo_wallet()
    if not wallet:
        return
    line("[bold]demo cards[/bold] (DEMO PINs: never use them anywhere else)")
    for card in wallet:
        line(f"  {card['path']}")
        line(
            f"    {card['holder']}, resident {card['resident_id']} of {card['municipality']}, "
            f"card {card['manufacture_number']}"
        )
        line(
            f"    auth PIN {card['auth_pin']}  signing password {card['sign_password']}  "
            f"text/住基 PIN {card['text_pin']}  security code {card['security_code']}"
        )
    line(
        f"  the phone app holds them: {fed.settings.base_url}{federation.PHONE_PATH}/ "
        "(scan or open the QR code of /portal/login there)"
    )
    line(f"  try: mynumber card insert {wallet[0]['path']} --data {fed.settings.data_dir}")
    for note in sorted(fed.staff_wallet.glob("*.json")):
        staff = json.loads(note.read_text(encoding="utf-8"))
        line(
            f"[bold]demo staff card[/bold] {note.with_suffix('.card')} — {staff['holder']}, "
            f"auth PIN {staff['auth_pin']} (DEMO): sign in at <org>/staff/login, e.g. "
            f"{fed.settings.base_url}/municipality/{fed.settings.municipalities[0]}/staff/login"
        )
        line(
            "    staff at: "
            + ", ".join(f"{o} ({' '.join(r)})" for o, r in staff["staff_at"].items())
        )


#: The most processes ``--processes`` gives one organisation.
MAX_PROCESSES = 16


def _copies(config: Settings, asked: list[str], *, split: bool) -> dict[str, int]:
    """``--processes ORG=N`` as {organisation: N}, checked before anything is started."""
    if asked and not split:
        raise typer.BadParameter("goes with --split", param_hint="--processes")
    orgs = federation.org_names(config)
    copies: dict[str, int] = {}
    for item in asked:
        org, _, count = item.partition("=")
        if org not in orgs:
            raise typer.BadParameter(f"no organisation {org!r}", param_hint="--processes")
        if not count.isdigit() or not 1 <= int(count) <= MAX_PROCESSES:
            raise typer.BadParameter(
                f"{item!r}: ORG=N, N from 1 to {MAX_PROCESSES}", param_hint="--processes"
            )
        copies[org] = int(count)
    return copies


def _run_split(config: Settings, copies: dict[str, int]) -> None:
    """Each organisation in its own process on its own port, wired by URLs (the hub, the
    agencies, J-LIS and the municipalities reach each other over loopback HTTP); an
    organisation given N processes (``copies``) has N on its port, each with its own
    threads and concurrency limit, all on the organisation's one database."""
    import multiprocessing
    import signal
    import sys
    import time

    urls = federation.split_urls(config)
    spawn = multiprocessing.get_context("spawn")
    processes = []
    out.print(f"[bold]mynumber --split[/bold] (data: {config.data_dir.resolve()})")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        for index, (org, url) in enumerate(urls.items()):
            count = copies.get(org, 1)
            started = []
            for _ in range(count):
                process = spawn.Process(
                    target=_serve_org,
                    args=(config.model_dump(mode="json"), org, urls, config.port + index),
                    kwargs={"shared": count > 1},
                    name=f"mynumber-{org}",
                )
                process.start()
                started.append(process)
            processes += started
            pids = " ".join(str(p.pid) for p in started)
            which = f"pid {pids}" if count == 1 else f"pids {pids}"
            out.print(f"  {org:22} {url}/  (port {config.port + index}, {which})")
            if org == "portal":  # the phone app shares the portal's process
                phone = url.removesuffix(federation.mount_path(org)) + federation.PHONE_PATH
                out.print(f"  {'phone':22} {phone}/  (with the portal)")
                kiosks = url.removesuffix(federation.mount_path(org)) + federation.KIOSK_PATH
                out.print(f"  {'kiosks':22} {kiosks}/<store>/  (with the portal)")
        while all(p.is_alive() for p in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(10)


def _serve_org(
    values: dict[str, Any], org: str, urls: dict[str, str], port: int, *, shared: bool = False
) -> None:
    from mynumber.platform import limits, runtime
    from mynumber.platform.settings import Settings

    runtime.configure_gc()  # a spawned process: main() did not run here
    config = Settings.model_validate(values)
    logs.configure(config.log_level)
    app = federation.build_one(config, org, urls)
    _serve(app, config.host, port, threads=limits.thread_tokens(config, 1), shared=shared)


def _serve(app: Any, host: str, port: int, *, threads: int, shared: bool = False) -> None:
    """Serve ``app`` with uvicorn, its worker-thread pool (AnyIO's default limiter, where
    sync routes run) sized for every organisation's concurrency limit together;
    ``shared``: on a socket other processes bind too (``SO_REUSEPORT``), the kernel
    handing each new connection to one of them."""
    import asyncio
    import contextlib
    import socket

    import anyio.to_thread
    import uvicorn

    # log_config=None: uvicorn keeps the redacting handler logs.configure gave its loggers
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", log_config=None)
    server = uvicorn.Server(config)
    sockets = None
    if shared:
        listening = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listening.bind((host, port))
        sockets = [listening]

    async def main() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        await server.serve(sockets=sockets)

    # as uvicorn.run does, on the event loop it would pick
    with (
        contextlib.suppress(KeyboardInterrupt),
        asyncio.Runner(loop_factory=config.get_loop_factory()) as runner,
    ):
        runner.run(main())
