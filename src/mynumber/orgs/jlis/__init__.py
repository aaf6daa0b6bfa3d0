"""J-LIS (地方公共団体情報システム機構): My Number generation, and later the JPKI CA."""
