FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 1000 npsapp \
    && install -d -o npsapp -g npsapp /var/lib/npsapp-beat
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files and compiled translations are built into the image; they need no database
# or secrets, but the settings refuse to load without a key when DEBUG is off: this one
# lives only for this step (the running container gets SECRET_KEY from .env).
RUN SECRET_KEY=build-only python manage.py compilemessages --ignore=.venv -v 0 \
    && SECRET_KEY=build-only python manage.py collectstatic --noinput -v 0

USER npsapp
EXPOSE 8000
CMD ["gunicorn", "npsapp.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
