"""KAM-* on OpenSIPS: the same SER-family checks over opensips.cfg, with TLS from tls_mgm
modparams (fixtures in tests/fixtures/opensips/)."""
from __future__ import annotations

import shutil
from pathlib import Path

import msgspec

from tests.conftest import statuses
from voxaudit.collectors.offline import collect_opensips_tree
from voxaudit.model import Status
from voxaudit.runner import TargetSpec, collect, evaluate_target

FAIL, PASS, NA = Status.FAIL, Status.PASS, Status.NOT_APPLICABLE
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "opensips"


def test_first_deployment_fails_every_front_end_check(run):
    facts = collect_opensips_tree(FIXTURES / "weak")
    assert facts.platform == "opensips"
    assert statuses(run("KAM-TLS-101", facts), FAIL) == {"listen udp:10.20.5.10:5060", "listen tcp:10.20.5.10:5060"}
    for cid in ("KAM-TLS-102", "KAM-ACC-101", "KAM-ACC-102", "KAM-LOG-101", "KAM-LOG-102"):
        assert set(run(cid, facts).values()) == {FAIL}, cid
    assert run("KAM-ACC-103", facts) == {"database URL usrloc.db_url": FAIL}  # the packaged opensipsrw
    assert "opensipsrw" not in msgspec.json.encode(facts).decode()


def test_hardened_front_end_passes_with_tls_mgm_domains(run, registry):
    facts = collect_opensips_tree(FIXTURES / "hardened")
    profiles = {p.name: (p.get("method"), p.get("verify_certificate")) for p in facts.of_kind("tls.profile")}
    assert profiles["server:clinic"] == ("TLSv1.2+", "yes")  # tls_mgm verify_cert defaults to 1
    assert profiles["client:carrier"] == ("TLSv1.2+", "yes")
    for cid in [i for i in registry.known_ids() if i.startswith("KAM-")]:
        assert FAIL not in run(cid, facts).values(), (cid, run(cid, facts))


def test_old_tls_method_and_unverified_carrier(tmp_path, run):
    root = tmp_path / "etc" / "opensips"
    shutil.copytree(FIXTURES / "hardened", root)
    cfg = (root / "opensips.cfg").read_text()
    cfg = cfg.replace('"[carrier]TLSv1_2-TLSv1_3"', '"[carrier]TLSv1"').replace('"[carrier]1"', '"[carrier]0"')
    (root / "opensips.cfg").write_text(cfg)
    facts = collect_opensips_tree(tmp_path)  # found below etc/opensips in a snapshot root
    assert statuses(run("KAM-TLS-103", facts), FAIL) == {"tls [client:carrier]"}
    assert statuses(run("KAM-TLS-104", facts), FAIL) == {"tls [client:carrier]"}
    assert run("KAM-TLS-104", facts)["tls [client:default]"] == PASS


def test_missing_include_is_an_error_with_file_and_line(tmp_path, registry):
    (tmp_path / "opensips.cfg").write_text('log_level=3\ninclude_file "routes-missing.cfg"\n')
    record = collect(TargetSpec(name="edge", platform="opensips", config_dir=tmp_path))
    results = evaluate_target(record, [c for c in registry.all() if "opensips" in c.meta.platforms], {
        "min_tls_version": "1.2", "min_secret_length": 12})
    errors = {r.evidence for r in results if r.status == Status.ERROR}
    assert errors and all("opensips.cfg:2: include_file 'routes-missing.cfg' not found" in e for e in errors)
    # the Kamailio bindings' sources (kamailio.cfg, tls.cfg, routing) are named as the file OpenSIPS reads
    assert all(e.startswith("opensips.cfg could not be used: ") for e in errors), errors


def test_m4_envsubst_template_is_read_around_what_only_the_deployment_knows(tmp_path):
    """opensips -p / container templates: m4 calls are gaps (their lines blank, numbering kept),
    ${NAME} outside strings becomes a word, a password that is a placeholder is unknown, not strong."""
    import time

    from voxaudit.collectors.offline import collect_opensips_tree
    from voxaudit.parsers.opensips_template import strip_template
    from voxaudit.registry import load_registry

    cfg = tmp_path / "opensips.cfg"
    cfg.write_text('log_level=3\nsocket=udp:${OPENSIPS_IP}:5060\n'
                   "ifelse(`${ENABLE_HOMER}',`yes',`\nsocket=hep_udp:${OPENSIPS_IP}:9060\n')\n"
                   'loadmodule "auth_db.so"\n'
                   'modparam("auth_db", "db_url", "mysql://opensips:${MYSQL_PASSWORD}@db/opensips")\n'
                   "route { exit; }\n")
    facts = collect_opensips_tree(tmp_path)
    problems = facts.configs["opensips.cfg"].problems
    assert not [p for p in problems if p.fatal]
    assert [(p.line, p.is_gap) for p in problems if "m4 ifelse" in p.message] == [(3, True)]
    assert [o.name for o in facts.of_kind("kamailio.listen")][:1] == ["udp:ENV_OPENSIPS_IP:5060"]
    [acc] = [o for o in load_registry().get("KAM-ACC-103")(facts) if "db_url" in o.resource]
    assert acc.status.value == "ERROR" and "placeholder" in acc.evidence
    text, gaps = strip_template("ifelse(`a',`b',`" + "x(" * 200_000)  # never closed: one gap, linear
    assert len(gaps) == 1
    started = time.perf_counter()
    strip_template(("ifelse(`${A}',`yes',`socket=x')\n" * 20_000) + "${B}" * 50_000)
    assert time.perf_counter() - started < 2
