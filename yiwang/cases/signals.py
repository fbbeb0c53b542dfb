"""Signals of the case ledger, for the apps that watch cases (supervision, later statistics).

``event_recorded`` is sent inside the transaction that appends the event, after the case's
projection is saved, with ``case``, ``event``, ``view`` (the folded view after the event),
``template`` and ``events`` (all the case's events, this one last, or ``None`` when the
sender did not have them at hand). A receiver that raises rolls the event back: receivers must only fail on
a real error.
"""

from django.dispatch import Signal

event_recorded = Signal()
