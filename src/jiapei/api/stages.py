"""Stage review endpoints (being written)."""

from ninja import Router

from jiapei.api.auth import SignedPlatform, user_auth

tp_router = Router(auth=SignedPlatform(), tags=["计时平台接口 / timing-platform interface"])
regulator_router = Router(auth=user_auth, tags=["监管端 / regulators"])
