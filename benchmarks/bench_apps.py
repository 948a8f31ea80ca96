"""WSGI and ASGI applications for the benchmark servers (settings: benchmarks.bench_settings)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.bench_settings")

from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

wsgi = get_wsgi_application()
asgi = get_asgi_application()
