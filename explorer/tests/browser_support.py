"""Helpers of browser_test.py: the node over JSON-RPC, the wallet and node programs, and
reading the page through Selenium without stale element references."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-dev-shm-usage", "--disable-component-update", "--disable-sync", "--no-first-run",
    "--window-size=1280,1000",
]
PASSWORD = "localnet"
START = time.monotonic()


class CheckFailed(Exception):
    pass


def log(msg: str) -> None:
    print(f"[{time.monotonic() - START:6.1f}s] {msg}", flush=True)


# --- the node, over JSON-RPC -------------------------------------------------------------------

def rpc(url: str, method: str, params: list | None = None, timeout: float = 5):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    req = urllib.request.Request(url, body, {"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        answer = json.load(resp)
    if "error" in answer:
        raise CheckFailed(f"{method}: {answer['error']}")
    return answer["result"]


def display_amount(units: int, decimals: int) -> str:
    """Minor units as the page shows them: thousands separators, all decimals."""
    if decimals == 0:
        return f"{units:,}"
    whole, frac = divmod(units, 10**decimals)
    return f"{whole:,}.{frac:0{decimals}d}"


# --- programs ----------------------------------------------------------------------------------

def find_program(name: str, net_dir: Path) -> str:
    found = shutil.which(name) or (str(net_dir / "bin" / name) if (net_dir / "bin" / name).exists() else None)
    if not found:
        print(f"browser_test: {name} is not on PATH nor in {net_dir}/bin: build it "
              f"(cargo build --release -p {name}) and add its directory to PATH", file=sys.stderr)
        sys.exit(2)
    return found


def wallet(exe: str, net_dir: Path, *args: str) -> dict:
    env = dict(os.environ)
    env.setdefault("VELLUM_WALLET_HOME", str(net_dir / "wallet"))
    env.setdefault("VELLUM_WALLET_PASSWORD", PASSWORD)
    done = subprocess.run([exe, *args, "--json"], env=env, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise CheckFailed(f"vellum-wallet {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return json.loads(done.stdout)


# --- the browser -------------------------------------------------------------------------------

def start_browser() -> webdriver.Chrome:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    driver_exe = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    if not (Path(chromium).exists() and Path(driver_exe).exists()):
        print("browser_test: chromium or chromedriver is missing: "
              "apt-get install -y chromium chromium-driver python3-selenium", file=sys.stderr)
        sys.exit(2)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in CHROMIUM_ARGS:
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_exe), options=options)
    driver.set_page_load_timeout(20)
    driver.set_script_timeout(10)
    return driver


def wait_for(driver, what: str, condition, timeout: float, poll: float = 0.1):
    try:
        return WebDriverWait(driver, timeout, poll_frequency=poll).until(lambda d: condition(d))
    except TimeoutException:
        raise CheckFailed(f"timed out after {timeout} s waiting for {what}") from None


def element(driver, css: str):
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0] if found else None


# The page re-renders as blocks arrive: read in one script call, never through an element
# reference that a re-render can make stale.
def text_of(driver, css: str) -> str | None:
    return driver.execute_script("const e = document.querySelector(arguments[0]); return e ? e.innerText : null", css)


def attr_of(driver, css: str, name: str) -> str | None:
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null", css, name)


def visible(driver, css: str) -> bool:
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); return !!e && !e.hidden && e.offsetParent !== null", css)


def exists(driver, css: str) -> bool:
    return driver.execute_script("return document.querySelector(arguments[0]) !== null", css)
