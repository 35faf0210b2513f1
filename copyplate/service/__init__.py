"""`copyplate service`: the campaign service (HTTP API, run workers, webhooks, browser UI).

Layout: store.py (SQL store), uploads.py (streamed multipart, archive unpacking, campaign
check), runner.py (a process per run, resumable through the ledger), webhooks.py (signed
deliveries with retries), app.py (the FastAPI app), ui.py (HTML), config.py (data folder,
binding rules).
"""
