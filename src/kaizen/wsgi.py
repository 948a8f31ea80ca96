"""WSGI entry point for the production web server.

Each gunicorn worker imports this module once when it starts. Besides building the application it
loads what the worker's first request would otherwise load (every app's URL configuration, and
with it the views and API modules) and then moves everything loaded so far out of the cyclic
garbage collector's sight (``gc.freeze``). Without that, the first requests of every worker waited
behind the imports, and full collections kept re-scanning hundreds of thousands of long-lived
objects; ADR 0009 has the measurement.
"""

from __future__ import annotations

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaizen.settings")
django_application = get_wsgi_application()

from kaizen.monitoring.intake import fast_path  # noqa: E402  (needs the apps loaded above)

application = fast_path(django_application)
"""Django's application behind the event intake's fast path (:func:`kaizen.monitoring.intake.fast_path`)."""


def warm_up() -> None:
    """Import the URL configuration and fill the URL reverse tables, then freeze the heap."""
    from django.urls import reverse

    reverse("healthz")  # imports every urls.py (views, API view sets) and populates the resolver
    gc.collect()
    gc.freeze()


warm_up()
