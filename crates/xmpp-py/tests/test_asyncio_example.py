"""examples/asyncio_client.py against real servers: the workspace's own
`xmpp serve` (plain TCP, two accounts) and, when `cargo xtask py` started
one, Prosody (STARTTLS with its self-signed certificate).

`cargo xtask py` sets XMPP_BIN (the `xmpp` binary it built) and
XMPP_PROSODY (JSON: connect, domain, accounts) and XMPP_PY_LIVE=required,
so that in CI a missing server fails the run instead of skipping."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "crates" / "xmpp-py" / "examples" / "asyncio_client.py"
REQUIRED = os.environ.get("XMPP_PY_LIVE") == "required"


def unavailable(why):
    if REQUIRED:
        pytest.fail(why)
    pytest.skip(why)


def xmpp_bin():
    given = os.environ.get("XMPP_BIN")
    if given:
        return Path(given)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "debug" / "xmpp"


def run_example(connect, domain, accounts, *extra):
    args = [sys.executable, str(EXAMPLE), "--connect", connect, "--domain", domain]
    for user, password in accounts:
        args += ["--account", f"{user}:{password}"]
    done = subprocess.run(
        args + list(extra), capture_output=True, text=True, timeout=60, check=False
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert done.returncode == 0, done.stdout + done.stderr
    return lines


def check_exchange(lines, domain):
    """Both bound, the ping reached bob, the pong came back to alice, both closed."""
    by = lambda account, event: [l for l in lines if l.get("account") == account and l["event"] == event]
    (alice_bound,) = by("alice", "bound")
    (bob_bound,) = by("bob", "bound")
    assert alice_bound["jid"].startswith(f"alice@{domain}/")
    assert bob_bound["jid"].startswith(f"bob@{domain}/")
    (ping,) = [l for l in by("bob", "stanza") if (l["body"] or "").startswith("ping ")]
    assert ping["from"] == alice_bound["jid"]
    (pong,) = [l for l in by("alice", "stanza") if (l["body"] or "").startswith("pong ")]
    assert pong["from"] == bob_bound["jid"]
    assert pong["body"][5:] == ping["body"][5:]
    assert by("alice", "closed") and by("bob", "closed")
    assert lines[-1]["event"] == "done" and lines[-1]["ok"] is True


@pytest.fixture
def xmpp_serve():
    binary = xmpp_bin()
    if not binary.exists():
        unavailable(f"no xmpp binary at {binary} (cargo build -p xmpp-cli)")
    serve = subprocess.Popen(
        [
            str(binary),
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tls",
            "off",
            "--user",
            "alice:wonderland",
            "--user",
            "bob:builder",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        listening = json.loads(serve.stdout.readline())
        yield listening["c2s"]
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=10)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait()


def test_example_against_xmpp_serve(xmpp_serve):
    lines = run_example(
        xmpp_serve, "localhost", [("alice", "wonderland"), ("bob", "builder")], "--tls", "off"
    )
    check_exchange(lines, "localhost")


def test_example_against_prosody():
    given = os.environ.get("XMPP_PROSODY")
    if not given:
        unavailable("XMPP_PROSODY not set (cargo xtask py starts a Prosody)")
    prosody = json.loads(given)
    lines = run_example(
        prosody["connect"],
        prosody["domain"],
        prosody["accounts"],
        "--tls",
        "required",
        "--insecure",
    )
    check_exchange(lines, prosody["domain"])
    tls = [l for l in lines if l["event"] == "tls"]
    assert len(tls) == 2 and all(l["version"].startswith("TLSv1.") for l in tls)
