"""`painbot serve`: load the bot once and serve UI, API and widget from one uvicorn process."""

from __future__ import annotations

import uvicorn

from bot.config import Settings


def serve(settings: Settings) -> None:
    from bot.chat import Bot
    from bot.web.app import create_app

    app = create_app(settings, Bot.load(settings))
    print(
        f"painbot: UI http://{settings.host}:{settings.port}/  API /api/chat  docs /docs  widget /widget.js",
        flush=True,
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
