"""The domain: plain Python over SQLAlchemy sessions. Nothing here imports Flask."""
