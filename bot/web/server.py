"""`painbot serve`: load the bot once and serve UI, API and widget from one uvicorn process."""

from __future__ import annotations

import uvicorn

from bot.config import Settings


def serve(settings: Settings) -> None:
    from bot.chat import Bot
    from bot.web.app import create_app

    bot = Bot.load(settings)
    bot.detector.warm()  # load the lazy language models now, not on some patient's first message
    app = create_app(settings, bot)
    print(
        f"painbot: UI http://{settings.host}:{settings.port}/  API /api/chat  docs /docs  widget /widget.js",
        flush=True,
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
