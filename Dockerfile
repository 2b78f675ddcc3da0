# GenTrade on the official freqtrade image: the same freqtrade (2026.9) and TA-Lib as the pinned
# dependency, with GenTrade installed on top. The entrypoint stays freqtrade's, so a bot container runs
# `trade ...` exactly as in freqtrade's own images; the API, worker and beat override it (docker-compose.yml).
FROM freqtradeorg/freqtrade:2026.9

USER root
COPY --chown=ftuser:ftuser pyproject.toml README.md /opt/gentrade/
COPY --chown=ftuser:ftuser gentrade /opt/gentrade/gentrade
COPY --chown=ftuser:ftuser agents /opt/gentrade/agents
USER ftuser
RUN pip install --user --no-cache-dir /opt/gentrade

WORKDIR /freqtrade
