"""Shared test setup: every test process runs its CPU work on one thread
(lib.core.device.one_cpu_thread), as the chapters do: `make unit` runs one process per core, and
threads that wait for a busy core spin against the other processes."""

from lib.core.device import one_cpu_thread

one_cpu_thread()
