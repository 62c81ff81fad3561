"""Where ``TargetSpec``, ``collect``, ``evaluate_target``, ``run_scan`` and ``rescore`` lived before the engine
was split into floors; kept so a check pack's tests written against 1.x still import them."""
from voxaudit.engine.collect import OFFLINE_PLATFORMS, SUPPORTED_PLATFORMS, TargetSpec, collect  # noqa: F401
from voxaudit.engine.evaluate import build_document, evaluate, evaluate_target, parse_warnings  # noqa: F401
from voxaudit.service import rescore, run_scan  # noqa: F401
