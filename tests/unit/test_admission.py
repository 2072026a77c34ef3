"""Per-address admission: limits, exemptions, and state that is forgotten when it expires."""

from __future__ import annotations

from chinwag.server.admission import WINDOW_SECONDS, AdmissionControl, parse_networks
from tests.unit.fakes import Clock


def test_concurrent_connections_per_address_are_capped_and_released() -> None:
    control = AdmissionControl(max_per_address=2, clock=Clock())
    assert control.admit("10.0.0.1") is None
    assert control.admit("10.0.0.1") is None
    refusal = control.admit("10.0.0.1")
    assert refusal == "too many connections from your address (at most 2)"
    assert control.admit("10.0.0.2") is None
    control.release("10.0.0.1")
    assert control.admit("10.0.0.1") is None


def test_arrivals_per_minute_expire_and_their_state_is_forgotten() -> None:
    clock = Clock()
    control = AdmissionControl(max_per_minute=2, clock=clock)
    for _ in range(2):
        assert control.admit("10.0.0.1") is None
        control.release("10.0.0.1")
    assert control.admit("10.0.0.1") == (
        "too many new connections from your address (at most 2 a minute)"
    )
    assert control.tracked() == 1
    clock.now += WINDOW_SECONDS
    assert control.admit("10.0.0.1") is None
    control.release("10.0.0.1")
    clock.now += WINDOW_SECONDS
    control.release("10.0.0.1")  # a late release finds expired arrivals and drops the entry
    assert control.tracked() == 0


def test_exempt_networks_are_never_limited_or_tracked() -> None:
    control = AdmissionControl(max_per_address=1, exempt=parse_networks("127.0.0.0/8, ::1"))
    for _ in range(5):
        assert control.admit("127.0.0.9") is None
        assert control.admit("::1") is None
    assert control.tracked() == 0
