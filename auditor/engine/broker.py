"""Distributed mode: a collector at each site, a broker in the middle, the store in one place.

An MSP's clinics sit on private networks the central host cannot reach. The dispatcher
(``voxaudit scan INVENTORY --broker URL``) sends each target to the queue of its site; the
collector running at that site (``voxaudit worker --site NAME``) takes only its own queue,
validates the target back into the same model (:class:`voxaudit.targets.Target`: its dump is the
message), resolves its relative paths against its own folder and the credential references the credential references *locally*
(its own environment, files and keyring: no secret ever crosses the broker), collects, and
answers with the target's secret-free record. Evaluation, scoring, reports and history stay
central, so a site collector needs no profile, waiver or check pack, and the history lands in
one store (PostgreSQL for an MSP: ``--history-db postgresql://...``).

Built on Celery; Redis is the broker the lab tests. Messages are JSON only, never pickle.
Each target has a deadline to be taken (no collector at that site: a TIMEOUT ERROR naming the
site, and the task expires so a late collector drops it) and a hard time limit on the worker.
"""
from __future__ import annotations

import logging
import os
import re
import socket
import time
from pathlib import Path
from typing import Any, Callable, Optional

from voxaudit.credentials import REF_RE, CredentialError, redact_url, resolve
from voxaudit.engine.collect import Progress, address_of, collect
from voxaudit.engine.journal import Journal, finish
from voxaudit.model import ErrorKind
from voxaudit.scan import CollectionFailure, TargetRecord, target_from_builtins, target_to_builtins
from voxaudit.structured import Invalid, field, invalid
from voxaudit.targets import Target

TASK_NAME = "voxaudit.collect_target"
# 2: the message carries the target model's dump ("target"); 1 carried the inventory entry ("entry").
MESSAGE_VERSION = 2
QUEUE_PREFIX = "voxaudit.site."
WORKER_BASE_ENV = "VOXAUDIT_WORKER_BASE"  # where a site collector resolves relative paths
HARD_LIMIT_GRACE_S = 15.0  # the worker kills a collection this long after its soft deadline


class DistributedError(Exception):
    """The broker cannot be used (missing library, bad URL, unreachable); the message has no password."""


def queue_name(site: str, explicit: str = "") -> str:
    """The broker queue of a site's collector: the inventory's ``collector_queue``, else from the site name."""
    if explicit:
        return explicit
    slug = re.sub(r"[^a-z0-9]+", "-", site.lower()).strip("-") or "default"
    return QUEUE_PREFIX + slug


def broker_url(value: Optional[str]) -> str:
    """``--broker``/``$VOXAUDIT_BROKER``: a URL, or a credential reference (env:, file:, keyring:) to one,
    so a broker password need not sit on a command line or in a unit file."""
    value = value or os.environ.get("VOXAUDIT_BROKER", "")
    if not value:
        raise DistributedError("no broker: give --broker URL (or env:NAME) or set VOXAUDIT_BROKER")
    if REF_RE.match(value):
        try:
            value = resolve(value).reveal().strip()
        except CredentialError as exc:
            raise DistributedError(f"broker: {exc}") from None
    if not re.match(r"^(redis|rediss|amqp|amqps)://", value):
        raise DistributedError(f"broker {redact_url(value)!r}: expected redis://, rediss://, amqp:// or amqps://")
    return value


def make_app(url: str) -> Any:
    """The Celery app both sides share: JSON only, acknowledged after the work, one task at a time per process."""
    try:
        from celery import Celery  # type: ignore[import-untyped]
    except ImportError:
        raise DistributedError("distributed mode needs Celery: pip install 'voxaudit[distributed]'") from None
    app = Celery("voxaudit", broker=url, backend=url if url.startswith("redis") else None, set_as_current=False)
    app.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"], result_accept_content=["json"],
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_track_started=True, result_expires=24 * 3600, broker_connection_retry_on_startup=True,
        broker_connection_timeout=10, result_backend_transport_options={"socket_timeout": 30},
        task_default_queue=QUEUE_PREFIX + "default", worker_hijack_root_logger=False,
        worker_send_task_events=False, task_send_sent_event=False,
    )

    @app.task(name=TASK_NAME, bind=True)  # type: ignore[untyped-decorator]
    def collect_target(task: Any, payload: dict[str, Any]) -> dict[str, Any]:
        return collect_entry(payload, collector=task.request.hostname or socket.gethostname())

    return app


def check_broker(app: Any, url: str) -> None:
    """Fail early and clearly, instead of retrying forever against a broker that is not there."""
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0.5, timeout=5)
        if app.conf.result_backend:
            app.backend.client.ping()
    except Exception as exc:  # kombu and redis raise many kinds; all mean the same to the user
        raise DistributedError(f"cannot reach the broker {redact_url(url)}: {_reason(exc, url)}") from None


def _reason(exc: BaseException, url: str = "") -> str:
    """The first line of a broker client's error, scrubbed: kombu and redis may quote the URL's password or
    a value typed in the wrong place (every quoted span and every secret of ``url`` is removed)."""
    from voxaudit.credentials import scrub

    text = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {scrub(text[0], url)}" if text else exc.__class__.__name__


# -- the site collector's side ------------------------------------------------------------------

def collect_entry(payload: dict[str, Any], collector: str = "") -> dict[str, Any]:
    """The task: one target in, one secret-free TargetRecord out. Never raises: a failure is a record
    with a reason, so no traceback (which could quote a value) reaches the result store."""
    target = payload.get("target")
    if not isinstance(target, dict):  # a version 1 message names its target in "entry" (for the record only)
        old = payload.get("entry")
        target = old.get("target") if isinstance(old, dict) else None
        target = target if isinstance(target, dict) else {}
    source = target.get("source")
    address = source.get("address", "") if isinstance(source, dict) else ""
    rec = TargetRecord(name=str(target.get("name", "?")), platform=str(target.get("platform", "?")),
                       clinic=str(target.get("clinic", "")), site=str(target.get("site", "")),
                       address=address[:253] if isinstance(address, str) else "")
    started = time.perf_counter()
    try:
        if payload.get("v") != MESSAGE_VERSION:
            raise ValueError(f"message version {payload.get('v')!r}; this collector speaks {MESSAGE_VERSION} "
                             "(run the same voxaudit version on the dispatcher and the site collectors)")
        base = Path(os.environ.get(WORKER_BASE_ENV) or os.getcwd())
        try:
            spec = Target.validate(target)
        except Invalid as exc:  # in words, keys only: never a value of the message
            loc, why = invalid(exc)
            rec.failure = CollectionFailure(kind=ErrorKind.PARSE, reason=f"this collector refused the target at "
                                            f"{field(loc) or 'the target'}: {why}")
        else:
            rec = collect(spec.at(base))
    except ValueError as exc:
        rec.failure = CollectionFailure(kind=ErrorKind.PARSE, reason=str(exc))
    except Exception as exc:
        kind = ErrorKind.TIMEOUT if exc.__class__.__name__ == "SoftTimeLimitExceeded" else ErrorKind.BUG
        reason = (f"collection exceeded its {payload.get('timeout', '?')} s limit on the site collector"
                  if kind is ErrorKind.TIMEOUT else f"collector raised {exc.__class__.__name__}")
        rec.failure = CollectionFailure(kind=kind, reason=reason)
    if not rec.duration_s:
        rec.duration_s = round(time.perf_counter() - started, 4)
    rec.collector = collector or socket.gethostname()
    return {"v": MESSAGE_VERSION, "record": target_to_builtins(rec)}


def message(target: Target, target_timeout: float) -> dict[str, Any]:
    """What the dispatcher sends: the target model's dump (credential references, paths as written)."""
    return {"v": MESSAGE_VERSION, "target": target.message(), "timeout": target_timeout}


def run_worker(url: str, queues: list[str], base: Path, concurrency: int, pool: str = "prefork",
               loglevel: str = "WARNING", name: str = "") -> None:
    """A site collector: consume only these queues until stopped (SIGTERM finishes the current targets)."""
    os.environ[WORKER_BASE_ENV] = str(base.resolve())
    if loglevel != "DEBUG":
        # A failed device is a record with a reason; the libraries' own tracebacks about it (paramiko logs
        # one per refused banner) are noise in a collector's log and could quote what a device said.
        for library in ("paramiko", "netmiko", "pysnmp", "scapy", "sslyze"):
            logging.getLogger(library).setLevel(logging.CRITICAL)
    app = make_app(url)
    check_broker(app, url)
    node = name or f"voxaudit-{queues[0].removeprefix(QUEUE_PREFIX)}@{socket.gethostname()}"
    app.worker_main(["worker", "-Q", ",".join(queues), "-c", str(concurrency), "-P", pool, "-l", loglevel,
                     "-n", node, "--without-gossip", "--without-mingle"])


# -- the dispatcher's side ----------------------------------------------------------------------

def collect_distributed(specs: list[Target], url: str, progress: Optional[Progress] = None,
                        target_timeout: float = 600.0, queue_timeout: float = 300.0,
                        journal: Optional[Journal] = None, resume: bool = False,
                        on_done: Optional[Callable[[TargetRecord], None]] = None,
                        poll_interval: float = 0.25) -> list[TargetRecord]:
    """Send each target to its site's queue and gather the records, in inventory order. Same contract as
    :func:`auditor.engine.local.collect_fleet`: journal, resume, and one failed target never costs another."""
    missing = [s.name for s in specs if s.base is None]
    if missing:  # a site collector resolves relative paths in its own folder: they must come from a file
        raise DistributedError("distributed mode sends inventory targets to site collectors; "
                               f"{', '.join(missing[:3])} did not come from an inventory")
    app = make_app(url)
    check_broker(app, url)
    journal = journal or Journal(None)
    done: dict[str, TargetRecord] = journal.load() if resume else {}
    if not resume:
        journal.remove()
    for name, rec in done.items():
        if progress:
            progress(name, "done (resumed from the journal)")
        if on_done:
            on_done(rec)

    pending: dict[str, tuple[Target, Any, float, str]] = {}  # name -> (spec, AsyncResult, sent, queue)
    started_at: dict[str, float] = {}
    try:
        for spec in specs:
            if spec.name in done:
                continue
            queue = queue_name(spec.site, spec.queue)
            payload = message(spec, target_timeout)
            try:
                result = app.send_task(TASK_NAME, args=[payload], queue=queue, expires=queue_timeout,
                                       soft_time_limit=target_timeout, time_limit=target_timeout + HARD_LIMIT_GRACE_S)
            except Exception as exc:
                finish(_failed(spec, ErrorKind.CONNECTIVITY, f"could not queue it: {_reason(exc, url)}"),
                       done, journal, progress, on_done)
                continue
            pending[spec.name] = (spec, result, time.monotonic(), queue)
            if progress:
                progress(spec.name, f"queued for {queue}")
        while pending:
            time.sleep(poll_interval)
            now = time.monotonic()
            for name, (spec, result, sent, queue) in list(pending.items()):
                polled = _poll(spec, result, sent, queue, now, started_at, progress, target_timeout, queue_timeout)
                if polled is not None:
                    del pending[name]
                    finish(polled, done, journal, progress, on_done)
    finally:
        for _spec, result, _, _ in pending.values():  # interrupted: what is still queued must not run later
            try:
                result.revoke()
            except Exception:
                pass
    return [done[s.name] for s in specs if s.name in done]


def _poll(spec: Target, result: Any, sent: float, queue: str, now: float, started_at: dict[str, float],
          progress: Optional[Progress], target_timeout: float, queue_timeout: float) -> Optional[TargetRecord]:
    try:
        state = result.state
    except Exception as exc:
        return _failed(spec, ErrorKind.CONNECTIVITY, f"lost the result store: {_reason(exc)}")
    if state == "SUCCESS":
        rec = _record_from(spec, result)
        result.forget()
        return rec
    if state == "FAILURE":
        exc_name = type(result.result).__name__ if isinstance(result.result, BaseException) else "error"
        result.forget()
        if exc_name == "TimeLimitExceeded":
            return _failed(spec, ErrorKind.TIMEOUT, f"the site collector killed it after "
                                                    f"{target_timeout + HARD_LIMIT_GRACE_S:g} s")
        return _failed(spec, ErrorKind.BUG, f"the site collector failed it ({exc_name})")
    if state == "REVOKED":
        return _failed(spec, ErrorKind.TIMEOUT, f"no collector on {queue} took it within {queue_timeout:g} s")
    if state == "STARTED":
        if spec.name not in started_at:
            started_at[spec.name] = now
            if progress:
                info = result.info if isinstance(result.info, dict) else {}
                progress(spec.name, f"collecting on {info.get('hostname', 'a site collector')}")
        elif now - started_at[spec.name] > target_timeout + 2 * HARD_LIMIT_GRACE_S:
            result.revoke()
            return _failed(spec, ErrorKind.TIMEOUT, f"collection exceeded {target_timeout:g} s on the site collector")
        return None
    if now - sent > queue_timeout:  # PENDING (or RETRY) past the deadline: nobody at that site took it
        result.revoke()
        return _failed(spec, ErrorKind.TIMEOUT, f"no collector on queue {queue} took it within {queue_timeout:g} s "
                                                f"(is 'voxaudit worker --site {spec.site}' running at that site?)")
    return None


def _record_from(spec: Target, result: Any) -> TargetRecord:
    answer = result.result
    try:
        if not isinstance(answer, dict) or answer.get("v") != MESSAGE_VERSION:
            raise ValueError("unexpected answer")
        rec = target_from_builtins(answer["record"])
    except (ValueError, KeyError):  # msgspec.ValidationError is a ValueError
        return _failed(spec, ErrorKind.BUG, "the site collector's answer is not a record this voxaudit reads "
                                            "(same voxaudit version at both ends?)")
    if rec.name != spec.name:
        return _failed(spec, ErrorKind.BUG, f"the site collector answered for {rec.name!r}")
    rec.clinic, rec.site = spec.clinic, spec.site  # the central inventory is the authority on where it belongs
    return rec


def _failed(spec: Target, kind: ErrorKind, reason: str) -> TargetRecord:
    return TargetRecord(name=spec.name, platform=spec.platform, clinic=spec.clinic, site=spec.site,
                        address=address_of(spec), failure=CollectionFailure(kind=kind, reason=reason))
