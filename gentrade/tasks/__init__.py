"""Celery: the app (``gentrade.tasks.app``), backtest, bot and signal tasks, the beat schedule, and the API's
``CeleryExecutor``. Tasks stay thin: they call the engine and signals code and write the database."""
