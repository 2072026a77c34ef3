"""The terminal client, ``chinwag connect``.

Layers, from pure to I/O:

* :mod:`~chinwag.client.safety`, :mod:`~chinwag.client.lines`, :mod:`~chinwag.client.outgoing`,
  :mod:`~chinwag.client.state`, :mod:`~chinwag.client.view`, :mod:`~chinwag.client.completion`,
  :mod:`~chinwag.client.backoff`: what received bytes mean, what typed lines mean, what to
  show, what to complete, when to retry. No sockets, no terminal; unit-tested alone.
* :mod:`~chinwag.client.link`: the socket and the one receiving thread (with reconnection).
* :mod:`~chinwag.client.pipe` and :mod:`~chinwag.client.tui`: the two input loops, plain
  stdin/stdout for scripts and prompt_toolkit for people.
* :mod:`~chinwag.client.app`: picks the mode, maps the outcome to an exit code.
* :mod:`~chinwag.client.command`: the ``connect`` command line, its help and options.
"""
