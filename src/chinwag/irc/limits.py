"""The sizes this server advertises to IRC clients (ISUPPORT) and keeps to.

Lengths are in UTF-8 bytes, as IRC counts them: what a client sends is cut to them on
a character boundary where it comes in, so what others see fits the advertised size.
``MODES`` is how many changes with an argument one MODE line carries, in both directions
of advice: clients may send more, but the server writes changes out in lines of at most
that many.
"""

TOPICLEN = 390
KICKLEN = 390
AWAYLEN = 200
MODES = 20
MAX_TARGETS = 4
# Channels and masks one LIST may name (TARGMAX): each mask is matched against every room.
MAX_LIST_MASKS = 10
