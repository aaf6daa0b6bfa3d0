"""``mynumber run --split``: each organisation its own process on its own port, and the
end-to-end flows across processes: a linkage exchange (municipality → hub → tax office →
back, sealed); a resident logging in to the portal with a demo card through the portal's
HTTP API (``mynumber phone login``), わたしの情報 fetched through the hub, the exchange in
やりとり履歴, an agency's notice in お知らせ; and ``mynumber hub verify-log`` on the split
hub's log; a benefit run whose parts a split worker (``mynumber benefit worker --split``)
does with the benefit office alone, every other organisation in its own process. One split
deployment serves the whole module."""

from __future__ import annotations

import html
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import crashkit
import httpx
import pytest

from mynumber import federation
from mynumber.federation import distributed
from mynumber.platform.settings import Settings
from mynumber.platform.signing import Identity, KeyFolder

pytestmark = pytest.mark.slow(seconds=70)

MYNUMBER = Path(sys.executable).with_name("mynumber")


def free_base(count: int) -> int:
    """A base port with ``count`` free ports after it."""
    for _ in range(50):
        base = random.randint(20_000, 60_000)
        try:
            for port in range(base, base + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free ports")


CHIYODA = "municipality-131016"
#: The hub's processes on its one port: every flow of the module goes through both.
HUB_PROCESSES = 2
PIN = "1234"  # the demo cards' PIN (printed by mynumber run)


def origin(url: str) -> str:
    """``http://host:port`` of an organisation's URL (its mount path cut off)."""
    return "/".join(url.split("/")[:3])


def mynumber(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MYNUMBER), *args], capture_output=True, text=True, check=False, timeout=120
    )


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """``mynumber run --split`` with demo data, every organisation answering its health."""
    tmp_path = tmp_path_factory.mktemp("split")
    data = tmp_path / "data"
    orgs = federation.org_names(Settings())
    base = free_base(len(orgs))
    urls = federation.split_urls(Settings(port=base))
    env = os.environ | {
        "MYNUMBER_SEED_RESIDENTS": "20",
        "MYNUMBER_BROKER_URL": crashkit.BROKER_URL,  # the office's runs go to its workers
    }
    env.pop("MYNUMBER_DATABASE_URL", None)
    output = tmp_path / "out.txt"
    log = output.open("wb")
    process = subprocess.Popen(
        [str(MYNUMBER), "run", "--split", "--port", str(base), "--data", str(data),
         "--processes", f"hub={HUB_PROCESSES}"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 240  # 18 processes on a small shared machine
        pending = set(orgs)
        while pending and time.monotonic() < deadline:
            assert process.poll() is None, output.read_text()
            for org in list(pending):
                try:
                    if httpx.get(f"{origin(urls[org])}/healthz", timeout=2).is_success:
                        pending.discard(org)
                except httpx.HTTPError:
                    pass
            time.sleep(0.3)
        assert not pending, output.read_text()
        yield {"urls": urls, "data": data, "output": output, "base": base, "env": env}
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def card(split) -> dict[str, Any]:
    """The demo card of 千代田区 from the wallet ``mynumber run`` issued."""
    note = json.loads((split["data"] / "wallet" / "chiyoda.json").read_text(encoding="utf-8"))
    return note | {"path": split["data"] / "wallet" / note["card"]}


@pytest.fixture(scope="module")
def pc(split, card) -> Iterator[httpx.Client]:
    """A PC browser on the split portal, logged in with the demo card by the phone app."""
    portal = origin(split["urls"]["portal"])
    with httpx.Client(base_url=portal, follow_redirects=False, timeout=60) as client:
        page = client.get("/portal/login")
        assert page.status_code == 200, page.text
        found = re.search(r'data-id="([^"]+)" data-code="([^"]+)"', page.text)
        assert found is not None
        login_id, code = found.groups()
        approved = mynumber(
            "phone", "login", code, "--card", str(card["path"]), "--pin", PIN,
            "--url", portal, "--data", str(split["data"]),
        )  # fmt: skip
        assert approved.returncode == 0, approved.stdout + approved.stderr
        status = client.get("/portal/login/status", params={"id": login_id})
        assert status.json()["state"] == "done", status.text
        assert "portal_session" in client.cookies
        yield client


def test_the_phone_app_beside_the_split_portal_approves_a_login(split, card):
    """Split, the phone app shares the portal's process; the QR code names it, and it
    reaches the portal's login resource over HTTP."""
    portal = origin(split["urls"]["portal"])
    with (
        httpx.Client(base_url=portal, timeout=60) as pc,
        httpx.Client(base_url=portal, timeout=60) as phone,
    ):
        page = pc.get("/portal/login").text
        login_id = re.findall(r'data-id="([^"]+)"', page)[0]
        qr = html.unescape(re.findall(r'<a href="([^"]+)" target="_blank"', page)[0])
        assert qr.startswith(f"{portal}/phone/login?request=")
        form = phone.get(qr.removeprefix(portal)).text
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
        approved = phone.post(
            "/phone/login",
            data={k: html.unescape(v) for k, v in fields.items()}
            | {"card": card["card"].removesuffix(".card"), "pin": PIN},
        )
        assert approved.status_code == 200 and 'id="done"' in approved.text, approved.text
        status = pc.get("/portal/login/status", params={"id": login_id})
        assert status.json()["state"] == "done"


def test_split_deployment_runs_a_linkage_exchange_across_processes(split, admin_token):
    urls = split["urls"]
    clerk = {"Authorization": "Bearer " + admin_token(Settings(data_dir=split["data"]), CHIYODA)}
    printed = split["output"].read_text()
    assert urls["hub"] in printed and urls["tax"] in printed

    chiyoda = urls[CHIYODA]
    residents = httpx.get(f"{chiyoda}/api/residents", params={"limit": 50}, headers=clerk).json()
    answers = []
    for resident in residents["residents"]:
        response = httpx.post(
            f"{chiyoda}/api/residents/{resident['id']}/linkage/income", timeout=30, headers=clerk
        )
        assert response.status_code in (200, 404), response.text
        if response.status_code == 200:
            answers.append(response.json())
            break
    assert answers and answers[0]["provider"] == "tax" and answers[0]["income"]
    hub = httpx.get(origin(urls["hub"]) + "/healthz").json()
    assert hub["orgs"]["hub"]["records"] >= 1


def test_a_resident_logs_in_and_sees_my_information_through_the_split_hub(pc, card):
    home = pc.get("/portal/home")
    assert home.status_code == 200 and "成功" in home.text
    page = pc.get("/portal/information")

    assert page.status_code == 200, page.text
    municipality = page.text.split('id="self-municipality"')[1].split("</section>")[0]
    family, given = card["holder"].split()
    assert family in municipality and given in municipality  # the four basic items, via the hub
    assert "世帯人数" in municipality and "Household size" in municipality
    records = pc.get("/portal/records")
    assert records.status_code == 200 and "自己情報提供 (マイナポータル)" in records.text
    exported = pc.get("/portal/records/export").json()
    mine = [r for r in exported["records"] if r["requester"] == "portal"]
    assert (CHIYODA, "provided") in {(r["provider"], r["outcome"]) for r in mine}


def test_an_agency_notice_reaches_the_inbox_across_processes(split, pc, card):
    title = f"住民税のお知らせ {secrets.token_hex(3)}"
    body = {
        "resident_ids": [card["resident_id"]],
        "messages": [{"title": title, "body": "本文です。 / The body."}],
    }
    url = httpx.URL(split["urls"][CHIYODA] + "/api/notices")
    content = json.dumps(body, ensure_ascii=False).encode()
    keys = KeyFolder(split["data"] / "keys")
    headers = {"content-type": "application/json"}
    headers.update(Identity(CHIYODA, keys.private_key(CHIYODA)).sign("POST", url.path, content))
    unsigned = httpx.post(url, json=body, timeout=30)
    sent = httpx.post(url, content=content, headers=headers, timeout=30)

    assert unsigned.status_code == 401
    assert sent.status_code == 200, sent.text
    assert sent.json()["accepted"] == [True] and sent.json()["delivered"] == 1
    inbox = pc.get("/portal/notices")
    assert inbox.status_code == 200 and title in inbox.text and "未読" in inbox.text
    records = pc.get("/portal/records/export").json()["records"]
    assert any(r["procedure"] == "municipality_notice" for r in records)


def test_verify_log_recomputes_the_split_hubs_chain(split, pc):
    pc.get("/portal/information")  # at least one more exchange in the log
    head = httpx.get(split["urls"]["hub"] + "/log/head", timeout=30)
    assert head.status_code == 200, head.text

    verified = mynumber("hub", "verify-log", "--data", str(split["data"]))

    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert str(head.json()["seq"]) in verified.stdout
    with_head = mynumber(
        "hub", "verify-log", "--expect", head.json()["hash"], "--data", str(split["data"])
    )
    assert with_head.returncode == 0, with_head.stdout + with_head.stderr
    unknown = mynumber("hub", "verify-log", "--expect", "ab" * 32, "--data", str(split["data"]))
    assert unknown.returncode == 1 and "not in the log" in unknown.stdout


def _databases_open(pid: int, data: Path) -> set[str]:
    """The names of the SQLite databases of ``data`` that process ``pid`` holds open."""
    held = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = Path(os.readlink(fd))
        except OSError:
            continue
        if target.parent == data and target.name.endswith(".db"):
            held.add(target.name)
    return held


def test_a_benefit_run_on_a_split_worker_opens_no_database_but_the_offices(split, admin_token):
    """The split office sends its run's parts to the broker; the worker builds the office
    alone and asks the municipalities, J-LIS, the hub and the registry in their processes."""
    crashkit.broker_reachable()
    data: Path = split["data"]
    env = split["env"]
    settings = Settings(data_dir=data, database_url=None, port=split["base"])
    worker = subprocess.Popen(
        [str(MYNUMBER), "benefit", "worker", "--split", "--port", str(split["base"]),
         "--data", str(data)],
        env=env,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    celery = distributed.make_celery(crashkit.BROKER_URL)
    node = distributed.node_name(settings, "worker")
    try:
        distributed.wait_for_workers(celery, [node], timeout=120)
        fed = federation.build(settings, in_process=True)
        try:
            approver = crashkit.approver_token(fed)
        finally:
            fed.close()
        name = f"split-{secrets.token_hex(3)}"
        created = crashkit.mynumber(
            env, data, "benefit", "create", name, "--amount", "30000",
            "--municipality", "131016", "--municipality", "131041",
        )  # fmt: skip
        assert created.returncode == 0, created.stdout + created.stderr
        approved = crashkit.mynumber(
            env | {"MYNUMBER_STAFF_TOKEN": approver}, data, "benefit", "approve", name
        )
        assert approved.returncode == 0, approved.stdout + approved.stderr
        office = origin(split["urls"]["benefits"])
        token = admin_token(settings, "benefits")
        ran = mynumber("benefit", "run", name, "--url", office, "--token", token)
        assert ran.returncode == 0, ran.stdout + ran.stderr

        status = httpx.get(
            f"{split['urls']['benefits']}/api/programmes/{created.stdout.split()[-1]}/status",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        ).json()
        payees = {kind: s["count"] for kind, s in status["payees"].items()}
        credited = status["instructions"]["credited"]["count"]
        assert status["phase"] == "done" and credited > 0
        assert payees["credited"] == credited and payees["pending"] == payees["instructed"] == 0
        stats = celery.control.inspect(destination=[node], timeout=5).stats() or {}
        parts = stats[node]["total"].get("mynumber.benefits.part", 0)
        assert parts >= 3  # each municipality's eligibility, the file's part at least
        assert _databases_open(worker.pid, data) == {"benefits.db"}
        # the hub's processes appended to one chain, which still recomputes
        verified = mynumber("hub", "verify-log", "--data", str(data))
        assert verified.returncode == 0, verified.stdout + verified.stderr
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def _listening_sockets(pid: int, port: int) -> int:
    """How many sockets listening on ``port`` process ``pid`` holds (``/proc/net``)."""
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                listening.add(f"socket:[{fields[9]}]")
    held = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            held += os.readlink(fd) in listening
        except OSError:
            continue
    return held


def test_the_hub_runs_as_processes_sharing_its_port(split):
    """``--processes hub=2``: two processes, each listening on the hub's port."""
    printed = " ".join(split["output"].read_text().split())  # the lines as rich wrapped them
    found = re.search(r"hub http\S+ \(port (\d+), pids ([\d ]+)\)", printed)
    assert found is not None, printed
    port, pids = int(found[1]), [int(p) for p in found[2].split()]
    assert port == split["base"] + list(split["urls"]).index("hub")
    assert len(pids) == HUB_PROCESSES
    assert all(_listening_sockets(pid, port) == 1 for pid in pids)
    for _ in range(4):  # and the port answers, whichever process takes the connection
        assert httpx.get(f"{origin(split['urls']['hub'])}/healthz", timeout=10).is_success
