"""The power-window job queue: durable deferred execute work, scheduled into the windows
where capacity is free (schedule.py, pure), stored behind store.jobs.JobQueue, run by one
worker loop through the same Executor as `/route/execute` (service.py)."""
