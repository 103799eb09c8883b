"""Events of the manual audit for the apps above supervision to act on.

DESIGN §4 puts ``workorders`` above ``supervision`` (a work order refers to the manual review
that opened it), so supervision announces its events here instead of importing them.
"""

from django.dispatch import Signal

#: Sent with ``review`` (the :class:`~jiapei.supervision.models.ManualReview` just judged bad)
#: and ``actor``, inside the transaction that records the verdict: receivers write in that
#: transaction, and an exception they raise rolls the verdict back. ``workorders`` opens the
#: review's work order on it.
bad_verdict = Signal()
