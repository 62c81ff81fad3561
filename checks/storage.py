"""Encryption at rest (45 CFR 164.312(a)(2)(iv)): every place PHI is written sits on encrypted storage.

Judged from host evidence (mounts, device-mapper layers, ZFS properties), never from a guess: a
location whose storage the evidence does not show is ERROR with what to capture.
"""
from __future__ import annotations

from voxaudit.control import Params, Verdict, control, failed, passed, unknown
from voxaudit.records.storage import PhiStorage

AT_REST = ("164.312(a)(2)(iv)",)
KINDS = {"luks": "LUKS (dm-crypt)", "dm-crypt": "dm-crypt", "zfs": "ZFS native encryption", "ecryptfs": "eCryptfs"}


@control(
    id="ENC-REST-101", title="PHI on the PBX is stored on encrypted storage", severity="high", hipaa=AT_REST,
    area="storage", record=PhiStorage,
    rationale="""Voicemail, call recordings, backups and call logs are PHI on the PBX's disks. A stolen or
    recycled disk, or a copied virtual-machine image, gives all of it away unless the storage under
    them is encrypted; an encrypted disk also makes such a loss a non-reportable incident under the
    Breach Notification Rule's safe harbor.""",
    references=["https://www.hhs.gov/hipaa/for-professionals/breach-notification/guidance/index.html"],
)
def phi_encrypted_at_rest(rec: PhiStorage, params: Params) -> Verdict:
    if rec.undecidable:
        return unknown(rec.undecidable)
    where = f"{rec.path} is on {rec.mountpoint} ({rec.fstype} from {rec.device})"
    if rec.encryption == "none":
        return failed(f"{where}: not encrypted ({rec.how})")
    if rec.encryption in KINDS:
        return passed(f"{where}: {KINDS[rec.encryption]} ({rec.how})")
    return unknown(f"{where}: {rec.how or 'storage encryption unknown'}")
