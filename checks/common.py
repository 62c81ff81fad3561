"""Pure helpers and parameters shared by checks of every platform (no I/O)."""
from __future__ import annotations

from typing import Callable, Iterable, Optional

from auditor.check import CheckContext, Outcome
from auditor.facts.common import ConfigObject
from auditor.platforms.common import host_of, is_loopback  # noqa: F401
from auditor.secretinfo import SecretInfo
from checks.params import MAX_LOGINS, MIN_PIN, SECRET_PARAM, TLS_PARAM  # noqa: F401


def weak_secret_reason(info: Optional[SecretInfo], min_length: int) -> Optional[str]:
    """Describe what is wrong with a secret's shape, never the secret."""
    if info is None or not info.present:
        return "no secret set"
    if info.equals_identity:
        return "secret equals the account name"
    if info.weakness == "known-weak":
        return "secret is a known default or common value"
    if info.weakness in {"sequential", "repeated"}:
        return f"secret is a {info.weakness} sequence"
    if info.shared_group:
        return f"secret is shared with other accounts ({info.shared_group})"
    if info.length < min_length:
        return f"secret is {info.length} characters, shorter than {min_length}"
    return None


def judge_secrets(ctx: CheckContext, accounts: Iterable[ConfigObject], key: str, label: str,
                  stored_hashed: Optional[Callable[[ConfigObject], Optional[str]]] = None,
                  extra_fix: tuple[str, ...] = ()) -> Iterable[Outcome]:
    """One outcome per account: is its ``key`` secret strong, not default, not shared?

    ``stored_hashed`` returns a note when the secret is stored hashed (md5/crypt/a1-hash),
    whose strength cannot be judged from configuration: unknown (ERROR with the note), never PASS.
    """
    for obj in accounts:
        res = f"{label} {obj.name}"
        note = stored_hashed(obj) if stored_hashed else None
        if note:
            yield ctx.unknown(res, f"{note}; its strength cannot be judged from the configuration", location=obj.source)
            continue
        info = obj.secrets.get(key)
        if info is not None and info.placeholder:
            yield ctx.unknown(res, f"{key} is a placeholder filled in at deployment; its strength cannot be judged "
                                   "from the configuration", location=info.source or obj.source)
            continue
        reason = weak_secret_reason(info, ctx.param("min_secret_length"))
        loc = info.source if info else obj.source
        if reason:
            yield ctx.fail(res, reason, loc, fix=[f"[{obj.name}]", f"{key}=<random, 16+ characters>", *extra_fix])
        else:
            yield ctx.passed(res, "secret is long, not default, not shared", loc)
