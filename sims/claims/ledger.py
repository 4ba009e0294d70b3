"""Pytest plugin: the claims ledger — one row per claim or conjecture collected, printed after every run.

Registered from the root conftest.py. It
- gives each test of `@pytest.mark.claim(ID, source=...)` or `@pytest.mark.conjecture(statement,
  rationale=..., strict=False[, id=...])` a row keyed by its id (several tests may share an id);
- turns a failure of a non-strict conjecture into an xfail-like "refuted" outcome, so that open
  questions are reported without failing the build (strict=True makes a conjecture gate like a claim);
- counts the Hypothesis examples each test ran (calls of the inner test, shrinking included; 1 for a
  plain test) and collects the worst error / tolerance that sims/claims/recording.py recorded;
- prints the ledger at the end of the run and, with `--claims-json PATH`, writes it as JSON;
- with the ini option `conjecture_map` (a Python file defining `EXPECTED = {id: Expected(outcome, reason)}`,
  tests/conjectures/expected.py here), fails a conjecture whose outcome differs from the map ("flipped"),
  either way, and a conjecture whose id the map lacks;
- with pytest-timeout's "signal" method, stops a stalled test with `TestTimeout`, which Hypothesis does not
  catch (so it neither shrinks nor replays the stalled example) and which is a failure, never "refuted".
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sims.claims import recording as claims_support
from sims.claims import registry

# Aggregation across the tests of one id: the first status present wins ("not run": collected, never ran).
STATUS_ORDER_CLAIM = ("fail", "pass", "skip", "not run")
# "fail" for a conjecture: it stalled (TestTimeout), which answers nothing.
STATUS_ORDER_CONJECTURE = ("fail", "refuted", "holds", "open", "not run")
OUTCOMES = ("holds", "refuted")


@dataclass(frozen=True)
class Expected:
    """A conjecture's recorded outcome in the conjecture map: "holds" or "refuted", and why (the
    counterexample when refuted). A run whose outcome differs fails with a "flipped" message."""

    outcome: str
    reason: str

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f"Expected.outcome must be one of {OUTCOMES}, got {self.outcome!r}")
        if not str(self.reason).strip():
            raise ValueError("Expected.reason must say why (and quote the counterexample when refuted)")


class TestTimeout(BaseException):
    """Raised in a test that ran past pytest-timeout's limit. A BaseException outside Hypothesis's failure
    exceptions, so Hypothesis stops at once instead of shrinking (and re-running) a stalled example."""

    __test__ = False  # not a test class, despite the name


@dataclass
class TestEntry:
    """What the ledger knows about one collected test item."""

    nodeid: str
    claim_id: str
    kind: str  # "claim" or "conjecture"
    statement: str
    source: str = ""
    rationale: str = ""
    strict: bool = False
    status: str | None = None
    examples: int = 0
    detail: str = ""
    expected: Expected | None = None  # from the conjecture map, when one is configured
    flipped: bool = False
    running: object = None            # the Hypothesis example being run (for a timeout's message)


@dataclass
class Ledger:
    entries: dict = field(default_factory=dict)  # nodeid -> TestEntry
    expected: dict | None = None                 # conjecture id -> Expected; None: no map configured
    map_path: str = ""


_LEDGER_KEY = pytest.StashKey[Ledger]()


def pytest_addoption(parser):
    parser.addini("claims_registered", type="bool", default=False,
                  help="fail collection when a test names a claim or conjecture id that is not registered")
    parser.addoption("--claims-json", metavar="PATH", default=None,
                     help="write the claims ledger (every claim and conjecture collected, its status, "
                          "examples run and worst error vs tolerance) as JSON to PATH")
    parser.addini("conjecture_map", default="",
                  help="Python file (relative to the rootdir) defining EXPECTED = {conjecture id: "
                       "Expected(outcome, reason)}: a conjecture whose outcome differs, or whose id is "
                       "missing, fails the run")


def _load_map(config) -> tuple[dict | None, str]:
    name = str(config.getini("conjecture_map") or "").strip()
    if not name:
        return None, ""
    path = Path(name) if Path(name).is_absolute() else Path(config.rootpath) / name
    if not path.is_file():
        raise pytest.UsageError(f"conjecture_map: no file {str(path)!r}")
    spec = importlib.util.spec_from_file_location("_w2v_conjecture_map", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = getattr(module, "EXPECTED", None)
    if not isinstance(expected, dict) or not all(isinstance(v, Expected) for v in expected.values()):
        raise pytest.UsageError(f"conjecture_map {name}: EXPECTED must be a dict of id -> "
                                "sims.claims.ledger.Expected")
    return dict(expected), name


def pytest_configure(config):
    expected, name = _load_map(config)
    config.stash[_LEDGER_KEY] = Ledger(expected=expected, map_path=name)
    registry.load_all()


def _profile_name() -> str:
    try:
        from hypothesis import settings

        return settings.get_current_profile_name()
    except Exception:  # pragma: no cover - older Hypothesis
        return os.environ.get("W2V_HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev")


def _first_doc_line(item) -> str:
    doc = getattr(item, "function", None).__doc__ if hasattr(item, "function") else None
    return doc.strip().splitlines()[0].strip() if doc and doc.strip() else ""


def _entry_for(item) -> TestEntry | None:
    claim = item.get_closest_marker("claim")
    if claim is not None:
        claim_id = str(claim.args[0] if claim.args else item.name)
        registered = registry.REGISTRY.get(claim_id)
        if registered is not None:  # the registry's definition is the one statement of the claim
            return TestEntry(item.nodeid, claim_id, registered.kind, registered.statement, source=registered.source)
        return TestEntry(item.nodeid, claim_id, "claim", _first_doc_line(item) or item.name,
                         source=str(claim.kwargs.get("source", "")))
    conjecture = item.get_closest_marker("conjecture")
    if conjecture is not None:
        statement = conjecture.args[0] if conjecture.args else (_first_doc_line(item) or item.name)
        default_id = "C-" + Path(str(item.path)).stem.removeprefix("test_").replace("_", "-").upper()
        conjecture_id = str(conjecture.kwargs.get("id", default_id))
        registered = registry.REGISTRY.get(conjecture_id)
        if registered is not None:  # as for claims, the registry holds the one statement
            return TestEntry(item.nodeid, conjecture_id, "conjecture", registered.statement, source=registered.source,
                             rationale=registered.rationale, strict=bool(conjecture.kwargs.get("strict", False)))
        return TestEntry(item.nodeid, conjecture_id, "conjecture", str(statement),
                         source=str(conjecture.kwargs.get("source", "open question (THEORY §6)")),
                         rationale=str(conjecture.kwargs.get("rationale", "")),
                         strict=bool(conjecture.kwargs.get("strict", False)))
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # Make claim and conjecture ids keywords, so `-k "ST-LIMIT or C-UNTIED"` selects by id (before -k runs).
    for item in items:
        entry = _entry_for(item)
        if entry is not None:
            item.extra_keyword_matches.add(entry.claim_id)


def _require_registered(session) -> None:
    """With ini `claims_registered = true`, every claim or conjecture id a test names must be in the registry:
    a claim is defined once (sims/claims/definitions/), and a test cannot carry a second, private statement."""
    if not session.config.getini("claims_registered"):
        return
    unknown = sorted({entry.claim_id for entry in map(_entry_for, session.items)
                      if entry is not None and entry.claim_id not in registry.REGISTRY})
    if unknown:
        raise pytest.UsageError(f"claim ids not in the registry (sims/claims/definitions/): {', '.join(unknown)}")


def pytest_collection_finish(session):
    _require_registered(session)
    ledger = session.config.stash[_LEDGER_KEY]
    for item in session.items:
        entry = _entry_for(item)
        if entry is not None:
            ledger.entries[item.nodeid] = entry


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    ledger = item.config.stash[_LEDGER_KEY]
    entry = ledger.entries.get(item.nodeid)
    if entry is None:
        return (yield)
    claims_support.set_current(item.nodeid, entry.claim_id, entry.statement, entry.source, entry.kind)
    handle = getattr(item.obj, "hypothesis", None)
    original = getattr(handle, "inner_test", None)
    if original is not None:
        # Hypothesis reads `.hypothesis.inner_test` at call time (a documented hook), so wrapping
        # it counts every example it runs, shrinking and the final replay included.
        def counted(*args, **kwargs):
            entry.examples += 1
            entry.running = kwargs
            return original(*args, **kwargs)

        handle.inner_test = counted
    else:
        entry.examples += 1
    try:
        return (yield)
    finally:
        if original is not None:
            handle.inner_test = original
        entry.running = None
        claims_support.set_current()


def _summary_of(excinfo) -> str:
    if excinfo is None:
        return ""
    # Messages from sims/claims/recording.py start with the claim's own statement; the line after it
    # (what failed, or the error vs bound) is the informative one.
    lines = [line.strip() for line in str(excinfo.value).strip().splitlines() if line.strip()]
    if lines and lines[0].startswith(("claim ", "conjecture ")):
        useful = [line for line in lines[1:] if line.startswith(("failed:", "error "))]
        lines = useful or lines[1:] or lines
    return (lines[0] if lines else excinfo.typename)[:200]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    ledger = item.config.stash[_LEDGER_KEY]
    entry = ledger.entries.get(item.nodeid)
    if entry is None:
        return report
    if report.skipped and not hasattr(report, "wasxfail"):
        entry.status = entry.status or ("skip" if entry.kind == "claim" else "open")
        entry.detail = entry.detail or str(report.longrepr[-1] if isinstance(report.longrepr, tuple) else "")
    elif report.failed:
        stalled = call.excinfo is not None and call.excinfo.errisinstance(TestTimeout)
        if entry.kind == "claim" or stalled:
            entry.status = "fail"  # a stalled conjecture answered nothing: never "refuted"
        else:
            entry.status = "refuted"
            if call.when == "call" and not _flipped(ledger, entry, report, "refuted", call.excinfo) \
                    and not entry.strict:
                # xfail-like: the open question is answered "no", which is a finding, not a broken build.
                report.outcome = "skipped"
                report.wasxfail = f"conjecture refuted: {entry.statement}"
        entry.detail = entry.detail if entry.flipped else _summary_of(call.excinfo)
    elif report.passed and call.when == "call":
        entry.status = entry.status or ("pass" if entry.kind == "claim" else "holds")
        if entry.kind == "conjecture":
            _flipped(ledger, entry, report, "holds", None)
    return report


def _flipped(ledger: Ledger, entry: TestEntry, report, outcome: str, excinfo) -> bool:
    """Compare a conjecture's outcome with the conjecture map; on a flip (or no entry) fail the report."""
    if ledger.expected is None:
        return False
    expected = ledger.expected.get(entry.claim_id)
    entry.expected = expected
    profile = _profile_name()
    if expected is None:
        message = (f"conjecture {entry.claim_id} is not in the conjecture map: add it to {ledger.map_path} "
                   f"(it {'held' if outcome == 'holds' else 'was refuted'} under Hypothesis profile {profile!r})")
    elif expected.outcome != outcome:
        found = "it held" if outcome == "holds" else "it was refuted"
        message = (f"conjecture {entry.claim_id} flipped: the map says {expected.outcome} ({expected.reason}) "
                   f"but {found} under Hypothesis profile {profile!r}; if that is a finding, update "
                   f"{ledger.map_path}")
    else:
        return False
    entry.flipped = True
    entry.detail = message.split(" (")[0] if expected is None else f"flipped: the map says {expected.outcome}"
    original = "" if excinfo is None else "\n\n" + str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = message + original
    return True


def _aggregate(ledger: Ledger) -> list[dict]:
    rows: dict[str, dict] = {}
    for entry in ledger.entries.values():
        row = rows.setdefault(entry.claim_id, {
            "id": entry.claim_id, "kind": entry.kind, "statement": entry.statement, "source": entry.source,
            "status": None, "tests": [], "examples": 0, "worst": None, "detail": "",
        })
        if entry.kind == "conjecture":
            row.update(rationale=entry.rationale, strict=entry.strict)
            if entry.expected is not None:
                row["expected"] = entry.expected.outcome
            row["flipped"] = row.get("flipped", False) or entry.flipped
        status = entry.status or "not run"  # e.g. after -x stopped the session
        row["tests"].append({"nodeid": entry.nodeid, "status": status, "examples": entry.examples})
        row["examples"] += entry.examples
        order = STATUS_ORDER_CLAIM if entry.kind == "claim" else STATUS_ORDER_CONJECTURE
        if row["status"] is None or order.index(status) < order.index(row["status"]):
            row["status"] = status
        if entry.detail and (status in ("fail", "refuted") or entry.flipped):
            row["detail"] = entry.detail
        record = claims_support.RECORDS.get(entry.nodeid)
        if record is not None and (row["worst"] is None or not (record.ratio <= row["worst"]["ratio"])):
            row["worst"] = {"error": record.error, "bound": record.bound, "ratio": record.ratio,
                            "tolerance": record.tolerance_name, "what": record.what, "nodeid": entry.nodeid}
    return sorted(rows.values(), key=lambda r: (r["kind"] != "claim", r["id"]))


def ledger_payload(config) -> dict:
    """The ledger as a JSON-ready dict (also used by `w2v-theory claims`)."""
    rows = _aggregate(config.stash[_LEDGER_KEY])
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return {
        "hypothesis_profile": os.environ.get("W2V_HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"),
        "claims": rows,
        "counts": counts,
    }


def _ratio_text(worst) -> str:
    if worst is None:
        return "-"
    ratio = worst["ratio"]
    return f"{ratio:.2g}" if ratio == ratio else "nan"


def format_ledger(payload: dict, width: int = 120) -> list[str]:
    """The ledger as text lines: id, kind, status, examples, worst error/tolerance, statement."""
    rows = payload["claims"]
    if not rows:
        return ["claims ledger: no claim or conjecture collected"]
    id_width = max(8, max(len(r["id"]) for r in rows))
    header = f"{'id':<{id_width}}  {'kind':<10} {'status':<8} {'examples':>8}  {'err/tol':>7}  statement"
    lines = [f"claims ledger (Hypothesis profile {payload['hypothesis_profile']!r}; "
             f"err/tol = worst measured error / tolerance, 1 = at the bound)", header, "-" * min(width, len(header) + 60)]
    room = max(30, width - len(header) + len("statement"))
    for r in rows:
        statement = r["statement"] if len(r["statement"]) <= room else r["statement"][: room - 1] + "…"
        lines.append(f"{r['id']:<{id_width}}  {r['kind']:<10} {r['status']:<8} {r['examples']:>8}  "
                     f"{_ratio_text(r['worst']):>7}  {statement}")
        if r["detail"] and (r["status"] in ("fail", "refuted") or r.get("flipped")):
            lines.append(f"{'':<{id_width}}  -> {r['detail'][: width - id_width - 5]}")
    counts = ", ".join(f"{n} {status}" for status, n in sorted(payload["counts"].items()))
    lines.append(f"{len(rows)} ids: {counts}")
    return lines


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    ledger = config.stash.get(_LEDGER_KEY, None)
    if ledger is None or config.option.collectonly:
        return
    payload = ledger_payload(config)
    if ledger.entries:
        terminalreporter.section("claims ledger")
        for line in format_ledger(payload, width=terminalreporter._tw.fullwidth):
            terminalreporter.write_line(line)
    path = config.getoption("--claims-json")
    if path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(_json_safe(payload), indent=2, allow_nan=False) + "\n")
        terminalreporter.write_line(f"claims ledger written to {path}")


def _json_safe(value):
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# After the signal, a test still running this long is stuck inside one C call the signal cannot interrupt:
# then pytest-timeout's "thread" method (dump every stack, end the process) is the only way out.
TIMEOUT_GRACE_S = 60.0


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_timeout_set_timer(item, settings):
    """pytest-timeout's "signal" method, raising TestTimeout (see there) with the test, the limit and the
    Hypothesis example it was running; a watchdog ends the process if the signal cannot stop the test."""
    if settings.method != "signal" or threading.current_thread() is not threading.main_thread():
        return None  # pytest-timeout's own implementation
    import pytest_timeout

    ledger = item.config.stash.get(_LEDGER_KEY, None)

    def handler(signum, frame):
        entry = None if ledger is None else ledger.entries.get(item.nodeid)
        running = "" if entry is None or entry.running is None else \
            f"; it was running the Hypothesis example {_short_repr(entry.running)}"
        raise TestTimeout(f"stalled: ran past the per-test time limit of {settings.timeout:g} s (pytest-timeout, "
                          f"`timeout` in pyproject.toml's [tool.pytest.ini_options]), so {item.nodeid} fails"
                          f"{running}")

    watchdog = threading.Timer(settings.timeout + TIMEOUT_GRACE_S, pytest_timeout.timeout_timer, (item, settings))
    watchdog.daemon = True
    watchdog.name = f"w2v timeout watchdog {item.nodeid}"

    def cancel():
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        watchdog.cancel()

    item.cancel_timeout = cancel
    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, settings.timeout)
    watchdog.start()
    return True


def _short_repr(value, limit: int = 600) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in value.items()) if isinstance(value, dict) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
