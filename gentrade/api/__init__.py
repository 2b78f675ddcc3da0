"""The HTTP door onto GenTrade: FastAPI app factory, one router per resource, auth, limits, JSON logs."""

from gentrade.api.app import create_app

__all__ = ["create_app"]
