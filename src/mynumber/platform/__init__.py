"""What every organisation shares: settings, databases, app factory, HTTP clients, logs."""
