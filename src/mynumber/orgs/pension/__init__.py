"""The pension service (日本年金機構): pension records; answers linkage requests for them."""
