"""Long-running freqtrade processes: trading bots and FreqUI webservers, supervised by ``BotManager``.

The manager is the one typed door the CLI, the HTTP API and Celery tasks share; ``DockerBotRunner`` describes
the same bot as a container for the production mode.
"""

from gentrade.engine.bots.docker import ContainerSpec, DockerBotRunner
from gentrade.engine.bots.manager import BotManager
from gentrade.engine.bots.models import BotInfo, BotKind, BotStatus
from gentrade.freqtrade_config.bot import Credentials

__all__ = [
    "BotInfo",
    "BotKind",
    "BotManager",
    "BotStatus",
    "ContainerSpec",
    "Credentials",
    "DockerBotRunner",
]
