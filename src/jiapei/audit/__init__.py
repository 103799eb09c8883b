"""Training-hour (学时) audit: minute → session → day → syllabus part.

The core here is pure: ``facts`` holds the plain data, ``rules/`` one module per rule family,
``thresholds`` the configurable numbers and their scoped resolver, ``syllabus/`` the versioned
syllabus data, ``engine`` the composition that returns verdicts with stable reason codes, and
``reasons`` the plain-language explanation of every code. Nothing here touches the ORM, the
settings, the clock or the network; ``services`` loads facts and stores verdicts.
"""
