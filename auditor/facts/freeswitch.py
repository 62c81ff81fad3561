"""FreeSWITCH / FusionPBX facts: sofia profiles and gateways, directory users, voicemail,
logging, CDR, event socket, ACLs and loaded modules, from the XML configuration.

Each fact source is one part of the configuration (``sofia``, ``directory``,
``voicemail.conf.xml`` ...); a part FreeSWITCH could not load makes the checks that
depend on it ERROR with the file and line.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal, Optional

from lxml import etree

from auditor.facts.common import ConfigFileFacts, ConfigObject, ParseProblem, PlatformFacts, Setting, is_secret_key
from auditor.model import SourceRef
from auditor.parsers.freeswitch_xml import FsDocument, Preprocessor, params
from auditor.secretinfo import SecretInfo, SharedSecretTracker, describe_secret

AUTOLOAD = ("voicemail.conf.xml", "logfile.conf.xml", "cdr_csv.conf.xml", "event_socket.conf.xml",
            "acl.conf.xml", "modules.conf.xml")
FS_SECRET_KEYS = {"a1-hash", "vm-a1-hash"}


class FreeSwitchFacts(PlatformFacts):
    platform: Literal["freeswitch"] = "freeswitch"
    flavor: Literal["freeswitch", "fusionpbx"] = "freeswitch"
    unresolved_variables: list[str] = []


class _Builder:
    def __init__(self, conf_dir: Path) -> None:
        self.conf_dir = conf_dir
        self.pre = Preprocessor(conf_dir)
        self.facts = FreeSwitchFacts()
        self.password_tracker = SharedSecretTracker("shared-password")
        self.vm_tracker = SharedSecretTracker("shared-vm-password")

    def record(self, source: str, docs: list[FsDocument], found: bool) -> list[FsDocument]:
        files: list[str] = []
        problems: list[ParseProblem] = []
        for d in docs:
            files += d.files
            problems += [ParseProblem.of(p) for p in d.problems]
        self.facts.configs[source] = ConfigFileFacts(root=source, found=found, files=files, problems=problems)
        return [d for d in docs if d.root is not None] if not any(p.fatal for p in problems) else []

    def obj(self, kind: str, name: str, doc: FsDocument, element: etree._Element,
            pairs: list[tuple[str, str, etree._Element]], identity: str = "") -> tuple[ConfigObject, dict[str, str]]:
        file, line = doc.where(element)
        settings: dict[str, list[dict]] = {}
        secrets: dict[str, SecretInfo] = {}
        raw_secrets: dict[str, str] = {}
        for key, value, el in pairs:
            f, ln = doc.where(el)
            key = key.lower()
            if is_secret_key(key) or key in FS_SECRET_KEYS:
                raw_secrets[key] = value
                secrets[key] = describe_secret(value, identity or name, SourceRef(file=f, line=ln))
            else:
                settings.setdefault(key, []).append({"value": value, "file": f, "line": ln})
        o = ConfigObject.model_validate({"kind": kind, "name": name, "source": {"file": file, "line": line},
                                         "settings": settings, "secrets": secrets})
        self.facts.objects.append(o)
        return o, raw_secrets

    @staticmethod
    def pairs(*containers: Optional[etree._Element], tag: str = "param") -> list[tuple[str, str, etree._Element]]:
        out = []
        for c in containers:
            for p in params(c, tag):
                out.append((p.get("name", ""), p.get("value", ""), p))
        return out

    def vars(self) -> None:
        docs = [self.pre.load("vars.xml")]
        self.record("vars.xml", docs, docs[0].found)

    def sofia(self) -> None:
        if (self.conf_dir / "autoload_configs" / "sofia.conf.xml").exists():
            docs = [self.pre.load("autoload_configs/sofia.conf.xml")]
        else:
            docs = [self.pre.load(str(p.relative_to(self.conf_dir)))
                    for p in sorted((self.conf_dir / "sip_profiles").glob("*.xml"))]
        for doc in self.record("sofia", docs, bool(docs) and all(d.found for d in docs)):
            for prof in doc.root.iter("profile"):
                name = prof.get("name", "?")
                self.obj("sofia.profile", name, doc, prof, self.pairs(prof.find("settings")))
                for gw in prof.iter("gateway"):
                    o, raw = self.obj("sofia.gateway", gw.get("name", "?"), doc, gw, self.pairs(gw))
                    o.settings.setdefault("profile", []).append(Setting(value=name, file=o.source.file, line=o.source.line))

    def directory(self) -> None:
        docs = [self.pre.load(str(p.relative_to(self.conf_dir)))
                for p in sorted((self.conf_dir / "directory").glob("*.xml"))]
        for doc in self.record("directory", docs, bool(docs)):
            for domain in doc.root.iter("domain"):
                inherited = self.pairs(domain.find("params")) + self.pairs(domain.find("variables"), tag="variable")
                for user in domain.iter("user"):
                    self.user(doc, user, inherited)
            # files of users outside a <domain> (included stand-alone)
            for user in doc.root.iter("user"):
                if not any(a.tag == "domain" for a in user.iterancestors()):
                    self.user(doc, user, [])

    def user(self, doc: FsDocument, user: etree._Element, inherited: list) -> None:
        if user.get("type") == "pointer":  # a group's reference to a user defined elsewhere
            return
        uid = user.get("id", "?")
        group_pairs: list = []
        for anc in user.iterancestors():
            if anc.tag == "group":
                group_pairs = self.pairs(anc.find("params")) + self.pairs(anc.find("variables"), tag="variable")
                break
        own = self.pairs(user.find("params")) + self.pairs(user.find("variables"), tag="variable")
        o, raw = self.obj("directory.user", uid, doc, user, inherited + group_pairs + own, identity=uid)
        if "password" in raw:
            self.password_tracker.add(raw["password"], o.secrets["password"])
        if "vm-password" in raw:
            self.vm_tracker.add(raw["vm-password"], o.secrets["vm-password"])

    def autoload(self, name: str) -> None:
        rel = f"autoload_configs/{name}"
        doc = self.pre.load(rel)
        for d in self.record(name, [doc], doc.found):
            root = d.root
            if name == "voicemail.conf.xml":
                for prof in root.iter("profile"):
                    email = prof.find("email")
                    pairs = self.pairs(prof) + [(f"email.{k}", v, e) for k, v, e in self.pairs(email)]
                    self.obj("voicemail.profile", prof.get("name", "?"), d, prof, pairs)
            elif name == "logfile.conf.xml":
                for prof in root.iter("profile"):
                    maps = [(f"map.{k}", v, e) for k, v, e in
                            [(m.get("name", ""), m.get("value", ""), m) for m in prof.iter("map")]]
                    self.obj("logfile.profile", prof.get("name", "?"), d, prof, self.pairs(prof.find("settings")) + maps)
            elif name == "modules.conf.xml":
                for load in root.iter("load"):
                    self.obj("modules.load", load.get("module", "?"), d, load, [])
            elif name == "acl.conf.xml":
                for lst in root.iter("list"):
                    nodes = [(f"node.{i}", f"{n.get('type', '')} {n.get('cidr', '') or n.get('domain', '')}", n)
                             for i, n in enumerate(lst.iter("node"))]
                    self.obj("acl.list", lst.get("name", "?"), d, lst, [("default", lst.get("default", ""), lst)] + nodes)
            else:
                kind = name.replace(".conf.xml", "") + ".settings"
                settings = root.find(".//settings")
                self.obj(kind, name, d, settings if settings is not None else root, self.pairs(settings))


def build_freeswitch_facts(conf_dir: Path) -> FreeSwitchFacts:
    b = _Builder(conf_dir)
    b.vars()
    b.sofia()
    b.directory()
    for name in AUTOLOAD:
        b.autoload(name)
    b.password_tracker.assign()
    b.vm_tracker.assign()
    if (conf_dir.parent / "fusionpbx").exists() or any(conf_dir.glob("**/fusionpbx*")):
        b.facts.flavor = "fusionpbx"
    b.facts.unresolved_variables = sorted(b.pre.unresolved)
    b.facts.objects.sort(key=lambda o: (o.kind, o.source.file, o.source.line, o.name))
    b.facts.reindex()
    return b.facts
