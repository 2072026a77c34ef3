"""Telnet negotiation on the text port, so that ``telnet`` clients work (RFC 854, RFC 860).

``TelnetFilter.feed(data)`` returns ``(text, replies)``: the bytes that are the user's
text, with every telnet command taken out, and the bytes to send back. It is a byte-wise
state machine, so a command split between two reads is understood all the same.

Theory of operation: a byte 255 (IAC, "interpret as command") starts a command. In UTF-8
text it never appears, so plain ``nc`` users are never affected.

* ``IAC IAC`` is a data byte 255 (invalid UTF-8, so it becomes U+FFFD later).
* ``IAC DO|DONT|WILL|WONT option``: the server enables no option, so ``DO`` is answered
  ``WONT`` and ``WILL`` is answered ``DONT``; ``DONT`` and ``WONT`` ask for what is already
  so and get no answer. A refusal is sent once per option and direction until the client
  says ``DONT``/``WONT`` for it, so two parties can never answer each other forever (the
  loop rule of RFC 854).
* ``IAC DO TIMING-MARK`` is always answered ``IAC WILL TIMING-MARK`` (RFC 860): ``telnet``
  sends it after Ctrl-C and discards everything it receives until the answer comes. The
  answer goes out after the replies to what the client sent before it.
* ``IAC SB ... IAC SE`` (subnegotiation) is dropped whole; nothing of it is kept.
* ``IAC AYT`` (are you there) is answered with a visible ``[yes]`` line, as RFC 854 asks.
* ``IAC IP`` (Ctrl-C), ``AO``, ``BRK``, ``EC``, ``EL``, ``GA``, ``NOP``, ``DM`` and any
  other command byte are dropped. Interrupting means nothing to a chat (a line is
  interpreted as soon as it arrives), and leaving is what ``/quit`` is for.
"""

from __future__ import annotations

from enum import Enum, auto

IAC = 255
DONT = 254
DO = 253
WONT = 252
WILL = 251
SB = 250
SE = 240
AYT = 246
TIMING_MARK = 6

AYT_ANSWER = b"[yes]\r\n"


class _State(Enum):
    DATA = auto()
    COMMAND = auto()  # after IAC
    OPTION = auto()  # after IAC DO/DONT/WILL/WONT
    SUB = auto()  # inside IAC SB ...
    SUB_COMMAND = auto()  # after an IAC inside a subnegotiation


class TelnetFilter:
    """Takes telnet commands out of a client's byte stream and answers them."""

    def __init__(self) -> None:
        self._state = _State.DATA
        self._verb = 0  # the DO/DONT/WILL/WONT waiting for its option byte
        self._refused: set[tuple[int, int]] = set()  # (verb, option) answered already

    @property
    def idle(self) -> bool:
        """Not inside a command: bytes without an IAC are all text."""
        return self._state is _State.DATA

    def feed(self, data: bytes) -> tuple[bytes, bytes]:
        """The user's text in ``data``, and the bytes to send back to the client."""
        if self._state is _State.DATA and IAC not in data:
            return data, b""  # the usual case: plain text, nothing to look at
        text = bytearray()
        replies = bytearray()
        for byte in data:
            state = self._state
            if state is _State.DATA:
                if byte == IAC:
                    self._state = _State.COMMAND
                else:
                    text.append(byte)
            elif state is _State.COMMAND:
                self._command(byte, text, replies)
            elif state is _State.OPTION:
                self._state = _State.DATA
                replies += self._negotiate(self._verb, byte)
            elif state is _State.SUB:
                if byte == IAC:
                    self._state = _State.SUB_COMMAND
            else:  # SUB_COMMAND: IAC SE ends it; IAC IAC is data inside it
                self._state = _State.DATA if byte == SE else _State.SUB
        return bytes(text), bytes(replies)

    def _command(self, byte: int, text: bytearray, replies: bytearray) -> None:
        """The byte after an IAC."""
        self._state = _State.DATA
        if byte == IAC:
            text.append(IAC)
        elif byte in (DO, DONT, WILL, WONT):
            self._verb = byte
            self._state = _State.OPTION
        elif byte == SB:
            self._state = _State.SUB
        elif byte == AYT:
            replies += AYT_ANSWER

    def _negotiate(self, verb: int, option: int) -> bytes:
        if verb == DO and option == TIMING_MARK:
            return bytes((IAC, WILL, TIMING_MARK))
        if verb in (DONT, WONT):  # the option is off, as the client wants
            self._refused.discard((DO if verb == DONT else WILL, option))
            return b""
        if (verb, option) in self._refused:
            return b""
        self._refused.add((verb, option))
        return bytes((IAC, WONT if verb == DO else DONT, option))
