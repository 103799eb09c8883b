"""公安平台模拟器 — police platform SIMULATOR.

A stand-in for 互联网交通安全综合服务管理平台 (12123) that runs as its own process:
``jiapei police_sim`` or ``python -m jiapei.police_sim``. Standard library only in request handling,
state in a JSON file. See :mod:`jiapei.police_sim.server` for the interfaces and
:mod:`jiapei.integrations.police.state` for the rules (shared with the in-memory fake).
"""
