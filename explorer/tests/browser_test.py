#!/usr/bin/env python3
"""The explorer in a real browser (headless Chromium) against a running localnet.

    python3 explorer/tests/browser_test.py DIR/ready.json OUT_DIR

DIR is a network started by `scripts/localnet.sh --fresh --dir DIR --base-port auto`, which
writes DIR/ready.json = {"rpc": [urls], "explorer": url, "demo_address": "vl1..."} once
blocks commit, keeps a wallet in DIR/wallet (password "localnet", keys demo, issuer, admin),
node pids in DIR/pids/nodeI.pid, homes in DIR/net/nodeI and logs in DIR/logs/nodeI.log.

It checks, against the live chain:
  1. the page's JavaScript modules (amount formatting, search classification, routes, stats);
  2. the dashboard's height matches chain_status (within a small tolerance: the chain moves);
  3. a transfer made with `vellum-wallet` appears in the dashboard's latest transactions
     within two seconds of the wallet reporting it final, without a reload;
  4. searching its hash opens its page with the right amount, memo and status; its block page
     lists it; a search for a missing height says "not found";
  5. the account page's balance equals account_get's;
  6. the validators page lists the validator set;
  7. SIGKILL of node0 (the node the explorer uses) shows the "cannot be reached" banner;
     restarting it (vellum-node start --home DIR/net/node0, pid to DIR/pids/node0.pid) clears
     the banner, live blocks resume with no height missed, and a new transfer shows up live.
Screenshots of every page go to OUT_DIR, with the browser console log. The whole test is
bounded (about 15 s here; a hard limit of 110 s) and stops the node it restarted and the
browser on exit.

Needs Debian's chromium, chromium-driver and python3-selenium (`apt-get install -y chromium
chromium-driver python3-selenium`), and vellum-wallet and vellum-node on PATH (or in DIR/bin).
Exit status: 0 all checks passed, 1 a check failed, 2 the setup is missing something.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ beside the sources

# Debian's python3-selenium lives in the system interpreter; another python3 first on PATH
# (pyenv, a venv) may not see it.
try:
    import selenium  # noqa: F401
except ImportError:
    if Path("/usr/bin/python3").exists() and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    print("browser_test: selenium is missing: apt-get install -y chromium chromium-driver python3-selenium",
          file=sys.stderr)
    sys.exit(2)

from selenium.common.exceptions import WebDriverException  # noqa: E402

from browser_support import (  # noqa: E402
    START, CheckFailed, attr_of, display_amount, element, exists, find_program, log, rpc,
    start_browser, text_of, visible, wait_for, wallet,
)

HARD_LIMIT_S = 110
HEIGHT_TOLERANCE = 2
OUTAGE_S = 4
MODULE_CHECKS = (Path(__file__).parent / "module_checks.js").read_text()


class Run:
    def __init__(self, ready_path: Path, out: Path):
        self.ready_path = ready_path
        self.net_dir = ready_path.parent
        self.out = out
        ready = json.loads(ready_path.read_text())
        self.rpc_urls: list[str] = ready["rpc"]
        self.explorer: str = ready["explorer"].rstrip("/")
        self.demo: str = ready["demo_address"]
        self.wallet_exe = find_program("vellum-wallet", self.net_dir)
        self.node_exe = find_program("vellum-node", self.net_dir)
        self.driver = None
        self.restarted: subprocess.Popen | None = None
        self.checks = 0
        self.shots: list[str] = []

    def ok(self, msg: str) -> None:
        self.checks += 1
        log(f"ok  {msg}")

    def shot(self, name: str) -> None:
        """Saves a screenshot of the whole page (not only the window) as OUT/name.png."""
        path = self.out / f"{name}.png"
        try:
            metrics = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 8000), "scale": 1}
            image = self.driver.execute_cdp_cmd(
                "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})
            path.write_bytes(base64.b64decode(image["data"]))
        except (WebDriverException, KeyError):
            self.driver.save_screenshot(str(path))
        self.shots.append(path.name)

    def go(self, route: str) -> None:
        self.driver.execute_script("window.location.hash = arguments[0]", route)

    def dashboard_height(self) -> int | None:
        value = attr_of(self.driver, "#dash-height", "data-height")
        return int(value) if value is not None else None

    def search(self, query: str) -> None:
        box = element(self.driver, "#search-input")
        box.clear()
        box.send_keys(query)
        element(self.driver, "#search-form button").click()

    # --- the checks ---------------------------------------------------------------------------

    def run(self) -> None:
        status = rpc(self.rpc_urls[0], "chain_status")
        self.decimals = status["decimals"]
        log(f"chain {status['chain_id']} at height {status['height']}; explorer {self.explorer}")
        self.driver = start_browser()
        d = self.driver
        d.get(self.explorer + "/#/")
        wait_for(d, "the dashboard's height", lambda d: self.dashboard_height() is not None, 15)
        d.execute_script("window.__sameDocument = true")

        result = d.execute_async_script(MODULE_CHECKS, self.demo)
        if result["fails"]:
            raise CheckFailed("JavaScript modules: " + "; ".join(result["fails"]))
        self.ok(f"{result['n']} assertions of the JavaScript modules (format, search, router, stats, backoff)")

        self.check_height()
        self.shot("01-dashboard")
        d.set_window_size(390, 844)
        time.sleep(0.3)
        self.shot("02-dashboard-phone")
        wide = d.execute_script("return document.documentElement.scrollWidth")
        if wide > 390 + 1:
            raise CheckFailed(f"on a phone-sized window the page is {wide}px wide (scrolls sideways)")
        self.ok("on a 390px-wide window the page does not scroll sideways")
        d.set_window_size(1280, 1000)

        tx_hash = self.check_transfer_live(self.rpc_urls[0], "the first transfer")
        self.shot("03-dashboard-with-transfer")
        self.check_tx_page(tx_hash)
        self.check_block_page(tx_hash)
        self.check_not_found()
        self.check_account(tx_hash)
        self.check_tx_lifecycle()
        self.check_validators()
        self.check_console_clean()
        self.check_outage_and_recovery()
        if not d.execute_script("return window.__sameDocument === true"):
            raise CheckFailed("the page was reloaded during the test")
        self.ok("the page was never reloaded: every update arrived live")

    def check_height(self) -> None:
        for _ in range(10):
            before = rpc(self.rpc_urls[0], "chain_status")["height"]
            shown = self.dashboard_height()
            after = rpc(self.rpc_urls[0], "chain_status")["height"]
            if shown is not None and before - HEIGHT_TOLERANCE <= shown <= after + HEIGHT_TOLERANCE:
                self.ok(f"dashboard height {shown} matches chain_status ({before}..{after}, ±{HEIGHT_TOLERANCE})")
                return
            time.sleep(0.3)
        raise CheckFailed(f"dashboard height {shown} does not match chain_status {before}..{after}")

    def check_transfer_live(self, rpc_url: str, what: str) -> str:
        to = wallet(self.wallet_exe, self.net_dir, "address", "--key", "issuer")["address"]
        started = time.monotonic()
        sent = wallet(self.wallet_exe, self.net_dir, "transfer", "--key", "demo", "--to", to, "--amount", "12.34",
                      "--memo", "explorer browser test", "--rpc", rpc_url)
        final_at = time.monotonic()
        tx_hash = sent["hash"]
        if sent.get("status") != "committed":
            raise CheckFailed(f"{what}: the wallet reports {sent.get('status')}, not committed")
        self.transfer_to = to
        row = f'#latest-txs tr[data-tx="{tx_hash}"]'
        wait_for(self.driver, f"{what} ({tx_hash[:12]}) on the dashboard", lambda d: exists(d, row),
                 2.0, poll=0.05)
        seen_at = time.monotonic()
        self.ok(f"{what} {tx_hash[:12]}… (block {sent.get('height')}) is on the dashboard "
                f"{max(0.0, seen_at - final_at):.2f} s after the wallet reported it final "
                f"({seen_at - started:.2f} s after it was sent)")
        return tx_hash

    def check_tx_page(self, tx_hash: str) -> None:
        d = self.driver
        self.go("#/")
        self.search(tx_hash)
        want = display_amount(1234, self.decimals)
        wait_for(d, "the transaction page", lambda d: exists(d, f'#tx-page[data-hash="{tx_hash}"] #tx-amount'), 10)
        wait_for(d, "the committed status", lambda d: "committed" in (text_of(d, "#tx-status") or ""), 10)
        got = (text_of(d, "#tx-amount"), attr_of(d, "#tx-amount", "data-units"))
        if got != (want, "1234"):
            raise CheckFailed(f"the transaction page shows the amount {got}, want ({want!r}, '1234')")
        if text_of(d, "#tx-memo") != "explorer browser test":
            raise CheckFailed(f"the memo reads {text_of(d, '#tx-memo')!r}")
        self.ok(f"searching the hash opens its page: amount {want}, memo, status committed")
        self.shot("04-transaction")

    def check_block_page(self, tx_hash: str) -> None:
        d = self.driver
        element(d, "#tx-status a[href^='#/block/']").click()
        wait_for(d, "the block page listing the transaction",
                 lambda d: exists(d, f'#block-page tr[data-tx="{tx_hash}"]'), 10)
        self.ok(f"its block page (#{attr_of(d, '#block-page', 'data-height')}) lists it, "
                "with the commit certificate's signers")
        self.shot("05-block")

    def check_not_found(self) -> None:
        d = self.driver
        self.search("987654321")
        wait_for(d, "'not found' for a missing height", lambda d: exists(d, "#not-found"), 10)
        if "No block at height 987,654,321" not in text_of(d, "#not-found"):
            raise CheckFailed(f"the not-found message reads {text_of(d, '#not-found')!r}")
        self.ok("a search for a missing height says plainly that there is no such block")
        self.shot("06-search-not-found")
        missing = "0f" * 32
        self.search(missing)
        wait_for(d, "'not found' for an unknown hash",
                 lambda d: "No block and no transaction has the hash" in (text_of(d, "#not-found") or ""), 10)
        self.go(f"#/tx/{missing}")
        wait_for(d, "the transaction page's 'not found'",
                 lambda d: "Transaction not found" in (text_of(d, "#tx-page #not-found") or ""), 10)
        self.search(self.demo[:-1] + ("p" if self.demo.endswith("q") else "q"))
        wait_for(d, "'not found' for a mistyped address",
                 lambda d: "wrong checksum" in (text_of(d, "#not-found") or ""), 10)
        self.ok("an unknown hash and a mistyped address are reported as such")

    def check_account(self, tx_hash: str) -> None:
        d = self.driver
        self.search(self.demo)
        wait_for(d, "the account page", lambda d: exists(d, f'#account-page[data-address="{self.demo}"] #account-balance'), 10)
        wait_for(d, "the transfer in the account's history",
                 lambda d: exists(d, f'#account-history tr[data-tx="{tx_hash}"]'), 10)
        for _ in range(10):
            want = rpc(self.rpc_urls[0], "account_get", [self.demo])["balance"]
            got = (attr_of(d, "#account-balance", "data-units"), text_of(d, "#account-balance"))
            if got == (want, display_amount(int(want), self.decimals)):
                self.ok(f"the account page's balance {got[1]} equals account_get's ({want} minor units)")
                self.shot("07-account")
                return
            time.sleep(0.3)
        raise CheckFailed(f"the account page shows {got}, account_get says {want}")

    def check_tx_lifecycle(self) -> None:
        """A transaction page follows its status live: pending, then committed. The first
        transfer is signed with the nonce after the next one, so it waits in the mempool until
        a second transfer fills the gap."""
        d = self.driver
        account = rpc(self.rpc_urls[0], "account_get", [self.demo])
        nonce = account.get("pending_nonce", account["nonce"])
        waiting = wallet(self.wallet_exe, self.net_dir, "transfer", "--key", "demo", "--to", self.transfer_to,
                         "--amount", "0.02", "--nonce", str(nonce + 1), "--no-wait", "--rpc", self.rpc_urls[0])
        if waiting.get("status") != "pending":
            raise CheckFailed(f"a transfer with a nonce gap is {waiting.get('status')}, not pending")
        self.go(f"#/tx/{waiting['hash']}")
        wait_for(d, "the pending status", lambda d: "pending" in (text_of(d, "#tx-status") or ""), 10)
        self.shot("08-transaction-pending")
        wallet(self.wallet_exe, self.net_dir, "transfer", "--key", "demo", "--to", self.transfer_to,
               "--amount", "0.01", "--nonce", str(nonce), "--rpc", self.rpc_urls[0])
        wait_for(d, "the status to turn committed", lambda d: "committed" in (text_of(d, "#tx-status") or ""), 5)
        seen = text_of(d, "#tx-page .timeline")
        if not ("pending" in seen and "committed" in seen):
            raise CheckFailed(f"the status timeline reads {seen!r}")
        self.ok("a transaction page followed its status live: pending, then committed")
        self.shot("09-transaction-committed")

    def check_validators(self) -> None:
        d = self.driver
        self.go("#/validators")
        keys = {v["key"] for v in rpc(self.rpc_urls[0], "chain_getValidators")}
        listed = "return [...document.querySelectorAll('tr[data-validator]')].map((e) => e.dataset.validator)"
        wait_for(d, "the validators table", lambda d: len(d.execute_script(listed)) == len(keys), 10)
        shown = set(d.execute_script(listed))
        if shown != keys:
            raise CheckFailed(f"the validators page lists {shown}, chain_getValidators {keys}")
        wait_for(d, "validators marked online", lambda d: "online" in (text_of(d, "main") or ""), 10)
        self.ok(f"the validators page lists the {len(keys)} validators of chain_getValidators")
        self.shot("10-validators")

    def check_console_clean(self) -> None:
        errors = [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]
        self.console = errors
        if errors:
            raise CheckFailed("the browser console has errors: " + " | ".join(e["message"][:200] for e in errors))
        self.ok("no errors in the browser console")

    def check_outage_and_recovery(self) -> None:
        d = self.driver
        self.go("#/")
        wait_for(d, "the dashboard", lambda d: self.dashboard_height() is not None, 10)
        pid_file = self.net_dir / "pids" / "node0.pid"
        pid = int(pid_file.read_text().strip())
        os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        log(f"killed node0 (pid {pid}) with SIGKILL")
        wait_for(d, "the unreachable banner", lambda d: visible(d, "#offline-banner"), 10, poll=0.05)
        banner = text_of(d, "#offline-banner")
        if "cannot be reached" not in banner:
            raise CheckFailed(f"the banner reads {banner!r}")
        self.ok(f"the banner says the node cannot be reached, {time.monotonic() - killed_at:.2f} s after the kill: "
                f"“{banner}”")
        self.shot("11-node-unreachable")
        height_down = self.dashboard_height()
        # The other validators go on meanwhile: the page must catch up on their blocks. Long
        # enough for several reconnection attempts (250 ms, 500 ms, 1 s, 2 s).
        time.sleep(OUTAGE_S)

        home = self.net_dir / "net" / "node0"
        with open(self.net_dir / "logs" / "node0.log", "ab") as node_log:
            self.restarted = subprocess.Popen([self.node_exe, "start", "--home", str(home)],
                                              stdout=node_log, stderr=subprocess.STDOUT, start_new_session=True)
        pid_file.write_text(f"{self.restarted.pid}\n")
        restarted_at = time.monotonic()
        log(f"restarted node0 (pid {self.restarted.pid})")
        wait_for(d, "the banner to go away", lambda d: not visible(d, "#offline-banner"), 45, poll=0.1)
        self.ok(f"the banner went away {time.monotonic() - restarted_at:.2f} s after the restart")
        # A transfer through another node makes a block even on a chain without empty blocks.
        self.check_transfer_live(self.rpc_urls[1], "a transfer after the restart")
        target = rpc(self.rpc_urls[1], "chain_status")["height"]
        wait_for(d, f"live blocks up to height {target}", lambda d: (self.dashboard_height() or 0) >= target, 30, poll=0.2)
        heights = d.execute_script("return window.vellum.feed.entries.map((e) => e.block.height)")
        gaps = [(a, b) for a, b in zip(heights, heights[1:]) if b != a + 1]
        if gaps:
            raise CheckFailed(f"the page missed blocks across the outage: gaps {gaps}")
        self.ok(f"live blocks resumed (height {height_down} at the outage, {self.dashboard_height()} now) "
                f"with every height from {heights[0]} to {heights[-1]} seen once")
        self.shot("12-recovered")

    def close(self) -> None:
        if self.driver is not None:
            try:
                logs = self.driver.get_log("browser")
                (self.out / "console.log").write_text("".join(f"{e['level']} {e['message']}\n" for e in logs))
            except WebDriverException:
                pass
            self.driver.quit()
        if self.restarted is not None and self.restarted.poll() is None:
            self.restarted.terminate()
            try:
                self.restarted.wait(10)
            except subprocess.TimeoutExpired:
                self.restarted.kill()
            log(f"stopped the node0 this test restarted (pid {self.restarted.pid})")


def main() -> int:
    if len(sys.argv) != 3 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return 2
    ready_path, out = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    if not ready_path.is_file():
        print(f"browser_test: {ready_path} does not exist: start scripts/localnet.sh --dir DIR first", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)

    def too_long(*_):
        raise CheckFailed(f"the test ran over its {HARD_LIMIT_S} s limit")

    signal.signal(signal.SIGALRM, too_long)
    signal.alarm(HARD_LIMIT_S)
    run = Run(ready_path, out)
    try:
        run.run()
    except (CheckFailed, WebDriverException, OSError, subprocess.SubprocessError) as e:
        log(f"FAIL {getattr(e, 'msg', None) or e}")
        if run.driver is not None:
            try:
                run.shot("failure")
            except WebDriverException:
                pass
        return 1
    finally:
        signal.alarm(0)
        run.close()
        log(f"screenshots in {out}: {', '.join(run.shots)}")
    log(f"PASS: {run.checks} checks in {time.monotonic() - START:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
