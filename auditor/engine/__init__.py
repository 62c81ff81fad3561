"""The engine, one floor per module, every import pointing down:

``collect`` (a target in, a record out; all I/O below it) <- ``journal`` <- the executors
``local`` (threads, a child process per live target, ``--processes`` shards) and ``broker``
(site collectors behind Celery) <- :mod:`auditor.service`, which also calls ``evaluate``
(records to results, waivers, scores, the document; no I/O). The CLI, the benchmarks and the
tests go through :mod:`auditor.service`.
"""
