"""The composition root: the ``jiapei`` console command and everything that wires apps together.

Every app below imports only downward (DESIGN §4); what has to know several of them at once lives
here: the commands (``jiapei serve | worker | demo | simulate | police_sim | createuser | fraud``,
in ``management/commands``), which background tasks the worker runs and in which order, which
outbox transports exist (:mod:`jiapei.cli.worker`), and the hooks one app offers another
(:mod:`jiapei.cli.apps`). Nothing else imports this package.
"""
