# Read by gunicorn from the directory it starts in (Docker, `make`, tests, bench).
# Personal survey links are masked in the access log: see npsapp/logredact.py.
logger_class = "npsapp.logredact.GunicornLogger"
