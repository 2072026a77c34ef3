"""Persistent history and state: message ids, the history stores, the writer thread.

Messages are recorded as :class:`~chinwag.history.store.Record` values with a sortable
id (:mod:`~chinwag.history.ids`); a :class:`~chinwag.history.store.HistoryStore` keeps
them (in memory, or in SQLite: :mod:`~chinwag.history.sqlite`); the writer thread
(:mod:`~chinwag.history.writer`) writes them in batches so that chat never waits for
a disk. :mod:`~chinwag.history.service` ties them to a server's configuration.
"""
